// Package deploy_test checks what deploy/ ships without a Docker engine or a
// cluster: the image's build stage (its own `go build` line, parsed from the
// Dockerfile, so the flags cannot drift), the YAML files, the variable names
// they set, and the Entra setup script (against a fake az CLI).
package deploy_test

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const root = ".." // the repository root, the image's build context

// dockerfile is what the test needs from deploy/Dockerfile.
type dockerfile struct {
	buildImage string            // FROM of the build stage
	args       map[string]string // ARG defaults of the build stage
	run        string            // the RUN line with `go build`, continuations joined
	copyFrom   [2]string         // COPY --from=build SRC DST in the final stage
	user       string
	entrypoint string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var d dockerfile
	d.args = map[string]string{}
	var lines []string
	var cont string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			cont += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		lines = append(lines, cont+l)
		cont = ""
	}
	stage := 0
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			stage++
			if stage == 1 {
				d.buildImage = strings.Fields(rest)[0]
			}
		case "ARG":
			if stage == 1 {
				name, def, _ := strings.Cut(rest, "=")
				d.args[name] = def
			}
		case "RUN":
			if stage == 1 && strings.Contains(rest, "go build") {
				if d.run != "" {
					t.Fatal("Dockerfile: more than one RUN with go build")
				}
				d.run = rest
			}
		case "COPY":
			if f := strings.Fields(rest); stage == 2 && len(f) == 3 && strings.HasPrefix(f[0], "--from=") {
				d.copyFrom = [2]string{f[1], f[2]}
			}
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			d.entrypoint = rest
		}
	}
	if stage != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (build, final)", stage)
	}
	if d.run == "" {
		t.Fatal("Dockerfile: no RUN line with go build in the build stage")
	}
	return d
}

// shellWords splits a POSIX shell command line into words, with quotes and
// $VAR / ${VAR} expanded from vars. It refuses what it does not model (an
// unknown variable, command substitution, an unterminated quote), so that a
// change to the RUN line fails here rather than being built differently.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, single, double := false, false, false
	expand := func(i int) (int, error) { // s[i] == '$'
		j := i + 1
		var name string
		switch {
		case j < len(s) && s[j] == '{':
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return 0, errors.New("unterminated ${")
			}
			name, j = s[j+1:j+end], j+end+1
		case j < len(s) && s[j] == '(':
			return 0, errors.New("command substitution is not supported")
		default:
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
		}
		v, ok := vars[name]
		if !ok {
			return 0, fmt.Errorf("unknown variable %q", name)
		}
		cur.WriteString(v)
		inWord = true
		return j, nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case single:
			if c == '\'' {
				single = false
			} else {
				cur.WriteByte(c)
			}
			i++
		case c == '$':
			j, err := expand(i)
			if err != nil {
				return nil, err
			}
			i = j
		case double:
			switch {
			case c == '"':
				double = false
			case c == '\\' && i+1 < len(s) && strings.IndexByte(`$"\`+"`", s[i+1]) >= 0:
				i++
				cur.WriteByte(s[i])
			case c == '`':
				return nil, errors.New("command substitution is not supported")
			default:
				cur.WriteByte(c)
			}
			i++
		case c == '\'':
			single, inWord = true, true
			i++
		case c == '"':
			double, inWord = true, true
			i++
		case c == '`':
			return nil, errors.New("command substitution is not supported")
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord = true
			i += 2
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if single || double {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// goBuild is the `go build` command of a RUN line: its environment
// assignments and its arguments after `go`.
func goBuild(run string, vars map[string]string) (env, args []string, err error) {
	words, err := shellWords(run, vars)
	if err != nil {
		return nil, nil, err
	}
	// One command per RUN is modelled: a `cmd && go build ...` keeps the last part.
	for {
		i := slices.Index(words, "&&")
		if i < 0 {
			break
		}
		if slices.Contains(words[:i], "build") {
			words = words[:i]
			break
		}
		words = words[i+1:]
	}
	assign := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	for len(words) > 0 && assign.MatchString(words[0]) {
		env = append(env, words[0])
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		return nil, nil, fmt.Errorf("not a go build command: %q", words)
	}
	return env, words[1:], nil
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`CGO_ENABLED=0 go build -ldflags="-s -w -X main.version=${VERSION}" -o '/out/a b' $PKG\ x`,
		map[string]string{"VERSION": "v1 2", "PKG": "./cmd"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CGO_ENABLED=0", "go", "build", "-ldflags=-s -w -X main.version=v1 2", "-o", "/out/a b", "./cmd x"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for _, bad := range []string{`go build -ldflags="$(date)"`, `echo ${NOPE}`, `echo "open`} {
		if _, err := shellWords(bad, map[string]string{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// envBuildImage, set to 1, lets TestImageBuildStage build the binary.
const envBuildImage = "MAILBOXBOT_DEPLOY_IMAGE"

// TestImageBuildStage checks the Dockerfile's build stage against go.mod
// and its final stage, then (with MAILBOXBOT_DEPLOY_IMAGE=1, not -short)
// builds ./cmd/mailboxbot exactly as the build stage does (its environment,
// flags and package, for linux), checks that the binary is static (it has
// to run on distroless/static, which has no C library) and that the version
// is stamped, and reports its size.
func TestImageBuildStage(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: cannot build the binary the image would hold")
	}
	d := readDockerfile(t)

	// The build image follows the go directive of go.mod (go 1.26.x -> golang:1.26).
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}
	if want := "golang:" + string(goVersion[1]); d.buildImage != want && !strings.HasPrefix(d.buildImage, want+"-") && !strings.HasPrefix(d.buildImage, want+".") {
		t.Errorf("build stage FROM %s, want %s (go.mod says go %s)", d.buildImage, want, goVersion[1])
	}

	vars := map[string]string{}
	for k, v := range d.args {
		vars[k] = v
	}
	const version = "v9.8.7-deploytest"
	if _, ok := vars["VERSION"]; !ok {
		t.Fatal("the build stage has no ARG VERSION")
	}
	vars["VERSION"] = version
	env, args, err := goBuild(d.run, vars)
	if err != nil {
		t.Fatalf("Dockerfile RUN %s: %v", d.run, err)
	}
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("the build runs with %q: CGO_ENABLED=0 is needed for a static binary", env)
	}
	out := -1
	for i, a := range args {
		if a == "-o" && i+1 < len(args) {
			out = i + 1
		}
	}
	if out < 0 {
		t.Fatalf("go build %q has no -o", args)
	}
	if d.copyFrom[0] != args[out] {
		t.Errorf("the final stage copies %q, the build writes %q", d.copyFrom[0], args[out])
	}
	if !strings.Contains(d.entrypoint, `"`+d.copyFrom[1]+`"`) || !strings.Contains(d.entrypoint, `"serve"`) {
		t.Errorf("ENTRYPOINT %s does not run %s serve", d.entrypoint, d.copyFrom[1])
	}
	if u, _, _ := strings.Cut(d.user, ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("USER %q: the image must run as a non-root user", d.user)
	}

	if testing.Short() || os.Getenv(envBuildImage) != "1" {
		t.Skipf("the build line is checked; building with it needs %s=1 and no -short (.ci/run sets it): "+
			"its flags (-trimpath, CGO_ENABLED=0) share nothing with the tests' builds, so on a cold Go build cache "+
			"it compiles every dependency again", envBuildImage)
	}
	bin := filepath.Join(t.TempDir(), "mailboxbot")
	args[out] = bin
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	// The image is linux; GOOS=linux builds the same binary on any host.
	cmd.Env = append(append(os.Environ(), env...), "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	t.Logf("built with: %s go %s", strings.Join(env, " "), strings.Join(args, " "))

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			t.Error("the binary has a PT_INTERP header: it is dynamically linked and will not start on distroless/static")
		case elf.PT_DYNAMIC:
			t.Error("the binary has a PT_DYNAMIC header: it is dynamically linked")
		}
	}
	if s := f.Section(".symtab"); s != nil {
		t.Error("the binary has a symbol table: -ldflags -s was not applied")
	}
	info, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("linux/%s binary: %d bytes (%.1f MiB); the image adds about 2 MiB of distroless/static", runtime.GOARCH, info.Size(), float64(info.Size())/(1<<20))

	if runtime.GOOS != "linux" {
		t.Logf("not running the linux binary on %s", runtime.GOOS)
		return
	}
	got, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("mailboxbot version: %v\n%s", err, got)
	}
	if want := "mailboxbot " + version + "\n"; string(got) != want {
		t.Errorf("mailboxbot version printed %q, want %q", got, want)
	}
}

// yamlFiles lists every deploy/**/*.yaml.
func yamlFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found only %d YAML files: %q", len(files), files)
	}
	return files
}

// TestYAMLParses parses every YAML file. gopkg.in/yaml.v3 is not a module of
// go.mod (and none may be added), so the parser is Python's PyYAML when
// present; without it the test skips and says so.
func TestYAMLParses(t *testing.T) {
	files := yamlFiles(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no YAML parser: gopkg.in/yaml.v3 is not in go.mod and python3 is not on PATH")
	}
	if err := exec.Command("python3", "-c", "import yaml").Run(); err != nil {
		t.Skip("no YAML parser: gopkg.in/yaml.v3 is not in go.mod and python3 has no yaml module (PyYAML)")
	}
	// One interpreter for all the files: each answers "ok N" (its documents)
	// or "error" and the parser's message, on one line.
	const script = `import sys, yaml
for f in sys.argv[1:]:
    try:
        n = sum(1 for d in yaml.safe_load_all(open(f)) if d is not None)
        print("ok", n)
    except Exception as e:
        print("error", repr(str(e)))
`
	b, err := exec.Command("python3", append([]string{"-c", script}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, b)
	}
	answers := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(answers) != len(files) {
		t.Fatalf("python3 answered %d lines for %d files:\n%s", len(answers), len(files), b)
	}
	for i, f := range files {
		status, detail, _ := strings.Cut(answers[i], " ")
		if status != "ok" {
			t.Errorf("%s does not parse:\n%s", f, detail)
			continue
		}
		if detail == "0" {
			t.Errorf("%s holds no YAML document", f)
		}
	}
}

// TestKustomize renders the base and each overlay with kubectl's built-in
// kustomize (no cluster needed) and checks what the issue asks of them.
func TestKustomize(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl is not on PATH: cannot render the kustomizations")
	}
	dirs, err := filepath.Glob("kustomize/overlays/*")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append([]string{"kustomize/base"}, dirs...)
	want := map[string][]string{
		"kustomize/base": {"kind: Deployment", "replicas: 2", "path: /healthz", "path: /readyz", "kind: PodDisruptionBudget",
			"minAvailable: 1", "kind: Service", "kind: ConfigMap", "name: mailboxbot-env", "readOnlyRootFilesystem: true",
			"runAsNonRoot: true", "- ALL", "requests:", "limits:"},
		"kustomize/overlays/sentinel": {"MAILBOXBOT_REDIS_SENTINEL_ADDRS:", "MAILBOXBOT_REDIS_SENTINEL_MASTER:"},
		"kustomize/overlays/managed":  {"name: mailboxbot-redis"},
	}
	for _, dir := range dirs {
		out, err := exec.Command("kubectl", "kustomize", dir).CombinedOutput()
		if err != nil {
			t.Errorf("kubectl kustomize %s: %v\n%s", dir, err, out)
			continue
		}
		for _, w := range want[dir] {
			if !strings.Contains(string(out), w) {
				t.Errorf("kubectl kustomize %s: no %q in\n%s", dir, w, out)
			}
		}
		delete(want, dir)
	}
	for dir := range want {
		t.Errorf("%s is missing", dir)
	}
}

// configNames reads the variable names of cmd/mailboxbot/config.go: every
// env tag, and NAME_FILE for each secret.
func configNames(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "cmd", "mailboxbot", "config.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`env:"([A-Z][A-Z0-9_]*)`).FindAllSubmatch(b, -1) {
		names[string(m[1])] = true
	}
	secrets := regexp.MustCompile(`(?s)secretNames = \[\]string\{(.*?)\}`).FindSubmatch(b)
	if secrets == nil || len(names) < 20 {
		t.Fatalf("cannot read the variables of config.go (found %d)", len(names))
	}
	for _, m := range regexp.MustCompile(`"([A-Z][A-Z0-9_]*)"`).FindAllSubmatch(secrets[1], -1) {
		names[string(m[1])+"_FILE"] = true
	}
	return names
}

// TestVariableNames checks that every variable the deploy files set is one
// the bot reads: a typo there is silently ignored at run time.
func TestVariableNames(t *testing.T) {
	known := configNames(t)
	// Not the bot's: Compose's own variable for the image tag.
	notBot := map[string]bool{"MAILBOXBOT_VERSION": true}
	files := append(yamlFiles(t), "mailboxbot.env.example", "entra-setup.sh", "Dockerfile")
	name := regexp.MustCompile(`\b(?:SLACK|AZURE|REDIS|MAILBOXBOT|LOG|LISTEN|GRAPH|EXCHANGE)_[A-Z0-9_]*[A-Z0-9]\b`)
	seen := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			for _, v := range name.FindAllString(sc.Text(), -1) {
				seen++
				switch {
				case known[v], notBot[v]:
				default:
					t.Errorf("%s:%d: %s is not a variable of cmd/mailboxbot/config.go", f, n, v)
				}
			}
		}
		fh.Close()
	}
	if seen < 20 {
		t.Fatalf("only %d variable names found in %q", seen, files)
	}
}

// readmeGraphPermissions reads the Microsoft Graph rows of README.md's
// permission table.
func readmeGraphPermissions(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var perms []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Za-z.-]+)` \\| Microsoft Graph \\|").FindAllSubmatch(b, -1) {
		perms = append(perms, string(m[1]))
	}
	if len(perms) < 5 {
		t.Fatalf("README.md: found only %d Graph permissions: %q", len(perms), perms)
	}
	return perms
}

// fakeAz is an az CLI that logs each call (arguments separated by a tab)
// and answers the queries entra-setup.sh makes. An application role's id is
// "role-" followed by its value, except for the value in $FAKE_AZ_MISSING,
// which the API does not have; a directory role's id is "def-" followed by
// its name.
const fakeAz = `#!/usr/bin/env bash
set -euo pipefail
(IFS=$'\t'; echo "$*") >> "$FAKE_AZ_LOG"
query=
for ((i = 1; i <= $#; i++)); do
  if [[ ${!i} == --query ]]; then j=$((i + 1)); query=${!j}; fi
done
case "$1 $2 ${3:-}" in
  "account show "*) echo tenant-1111 ;;
  "ad app list") ;;
  "ad app create") echo app-2222 ;;
  "ad app credential") echo /home/me/tmpcert.pem ;;
  "ad sp list") ;;
  "ad sp create") echo sp-3333 ;;
  "ad sp show")
    v=${query#*==\'}; v=${v%%\'*}
    if [[ $v != "${FAKE_AZ_MISSING:-}" ]]; then echo "role-$v"; fi ;;
  "ad app permission") ;;
  "rest --method GET")
    case "$*" in
      *roleDefinitions*) all="$*"; n=${all#*displayName eq \'}; echo "def-${n%%\'*}" ;;
      *roleAssignments*) ;;
    esac ;;
  "rest --method POST") ;;
  *) echo "fake az: unexpected call: $*" >&2; exit 1 ;;
esac
`

func runEntraSetup(t *testing.T, missing string, args ...string) (calls []string, out string, err error) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "az"), []byte(fakeAz), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(bin, "calls")
	cmd := exec.Command("bash", append([]string{"entra-setup.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_AZ_LOG="+log, "FAKE_AZ_MISSING="+missing)
	b, err := cmd.CombinedOutput()
	logged, _ := os.ReadFile(log)
	return strings.Split(strings.TrimSpace(string(logged)), "\n"), string(b), err
}

// TestEntraSetup checks the script's syntax, then runs it against a fake az:
// every Graph permission of README.md and Exchange.ManageAsApp added by the
// role id az reported, admin consent, the Exchange Recipient Administrator
// role assigned to the service principal, and the settings printed.
func TestEntraSetup(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not on PATH")
	}
	if b, err := exec.Command("bash", "-n", "entra-setup.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n entra-setup.sh: %v\n%s", err, b)
	}
	calls, out, err := runEntraSetup(t, "")
	if err != nil {
		t.Fatalf("entra-setup.sh: %v\n%s", err, out)
	}
	const graph, exchange = "00000003-0000-0000-c000-000000000000", "00000002-0000-0ff1-ce00-000000000000"
	want := []string{
		"ad\tapp\tcreate\t--display-name\tmailboxbot\t--sign-in-audience\tAzureADMyOrg\t--query\tappId\t-o\ttsv",
		"ad\tapp\tcredential\treset\t--id\tapp-2222\t--append\t--display-name\tmailboxbot\t--create-cert\t--years\t1\t--query\tfileWithCertAndPrivateKey\t-o\ttsv",
		"ad\tsp\tcreate\t--id\tapp-2222\t--query\tid\t-o\ttsv",
		"ad\tapp\tpermission\tadmin-consent\t--id\tapp-2222",
		"rest\t--method\tPOST\t--url\thttps://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments\t--headers\tContent-Type=application/json\t--body\t" +
			`{"principalId":"sp-3333","roleDefinitionId":"def-Exchange Recipient Administrator","directoryScopeId":"/"}` + "\t-o\tnone",
	}
	for _, p := range readmeGraphPermissions(t) {
		want = append(want, "ad\tapp\tpermission\tadd\t--id\tapp-2222\t--api\t"+graph+"\t--api-permissions\trole-"+p+"=Role\t-o\tnone")
	}
	want = append(want, "ad\tapp\tpermission\tadd\t--id\tapp-2222\t--api\t"+exchange+"\t--api-permissions\trole-Exchange.ManageAsApp=Role\t-o\tnone")
	for _, w := range want {
		if !slices.Contains(calls, w) {
			t.Errorf("no call az %s", strings.ReplaceAll(w, "\t", " "))
		}
	}
	adds := 0
	for _, c := range calls {
		if strings.HasPrefix(c, "ad\tapp\tpermission\tadd\t") {
			adds++
		}
		if strings.Contains(c, "POST") && !strings.Contains(c, "Exchange Recipient Administrator") {
			t.Errorf("unexpected role assignment without --credential-roles: %s", c)
		}
	}
	if n := len(readmeGraphPermissions(t)) + 1; adds != n {
		t.Errorf("%d permissions added, want %d (README.md's Graph rows and Exchange.ManageAsApp)", adds, n)
	}
	for _, w := range []string{"AZURE_TENANT_ID=tenant-1111\n", "AZURE_CLIENT_ID=app-2222\n", "/home/me/tmpcert.pem"} {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q:\n%s", w, out)
		}
	}

	// --credential-roles also assigns the two roles the credential steps need.
	calls, out, err = runEntraSetup(t, "", "--credential-roles")
	if err != nil {
		t.Fatalf("entra-setup.sh --credential-roles: %v\n%s", err, out)
	}
	for _, role := range []string{"User Administrator", "Authentication Administrator"} {
		if !slices.ContainsFunc(calls, func(c string) bool {
			return strings.Contains(c, "POST") && strings.Contains(c, `"roleDefinitionId":"def-`+role+`"`)
		}) {
			t.Errorf("--credential-roles: %s not assigned", role)
		}
	}

	// A permission the API does not have stops the script before consent.
	calls, out, err = runEntraSetup(t, "User.RevokeSessions.All")
	if err == nil {
		t.Fatalf("entra-setup.sh succeeded although the API lacks a permission:\n%s", out)
	}
	if !strings.Contains(out, "no application permission User.RevokeSessions.All") {
		t.Errorf("the error does not name the permission:\n%s", out)
	}
	if slices.ContainsFunc(calls, func(c string) bool { return strings.Contains(c, "admin-consent") }) {
		t.Error("admin consent was granted after a failure")
	}
}
