// Package deps pins dependencies while the packages that use them are written. Temporary.
package deps

import (
	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore"
	_ "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	_ "github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/bsm/redislock"
	_ "github.com/caarlos0/env/v11"
	_ "github.com/hibiken/asynq"
	_ "github.com/microsoft/kiota-abstractions-go"
	_ "github.com/microsoft/kiota-abstractions-go/authentication"
	_ "github.com/microsoft/kiota-http-go"
	_ "github.com/microsoftgraph/msgraph-sdk-go"
	_ "github.com/microsoftgraph/msgraph-sdk-go/models"
	_ "github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	_ "github.com/microsoftgraph/msgraph-sdk-go/users"
	_ "github.com/microsoftgraph/msgraph-sdk-go-core"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/socketmode"
)
