package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// The load generator runs in a process of its own ("fire" command), so
// that the latencies it measures are not delayed by the sandbox world,
// which answers the bot's Slack and Microsoft calls in the bench's
// process: in production those servers are elsewhere, and a generator
// that shares a Go runtime with them timestamps late when they are busy.

// fireOrder is one run, sent to the generator as a JSON line.
type fireOrder struct {
	Bases []string `json:"bases"`
	Rate  float64  `json:"rate"`
	Shots []shot   `json:"shots"`
}

// fireReport is the generator's answer to one order, a JSON line.
type fireReport struct {
	Latencies []time.Duration `json:"latencies"`
	Failed    int             `json:"failed"`
	Achieved  float64         `json:"achieved"`
}

// generator is the running "fire" child process.
type generator struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startGenerator() (*generator, error) {
	cmd := exec.Command(os.Args[0], "fire")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &generator{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

// fire has the generator send shots to bases at rate a second (see fire)
// and returns what it measured.
func (g *generator) fire(bases []string, shots []shot, rate float64) (result, error) {
	if err := json.NewEncoder(g.in).Encode(fireOrder{Bases: bases, Rate: rate, Shots: shots}); err != nil {
		return result{}, fmt.Errorf("generator: %w", err)
	}
	line, err := g.out.ReadBytes('\n')
	if err != nil {
		return result{}, fmt.Errorf("generator: %w", err)
	}
	var rep fireReport
	if err := json.Unmarshal(line, &rep); err != nil {
		return result{}, fmt.Errorf("generator: %w", err)
	}
	return result{latencies: rep.Latencies, failed: rep.Failed, achieved: rep.Achieved}, nil
}

func (g *generator) close() {
	g.in.Close()
	g.cmd.Wait()
}

// fireCommand is the generator's side: one order per line on stdin, one
// report per line on stdout, over one HTTP client so that connections stay
// open between runs as Slack's do.
func fireCommand(ctx context.Context) error {
	hc := newClient()
	dec := json.NewDecoder(bufio.NewReaderSize(os.Stdin, 1<<20))
	enc := json.NewEncoder(os.Stdout)
	for {
		var o fireOrder
		if err := dec.Decode(&o); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		r := fire(ctx, hc, o.Bases, secret, o.Shots, o.Rate)
		if err := enc.Encode(fireReport{Latencies: r.latencies, Failed: r.failed, Achieved: r.achieved}); err != nil {
			return err
		}
	}
}
