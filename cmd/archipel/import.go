package main

import (
	"context"
	"errors"
)

// importCommand imports content from elsewhere: for now a podcast from its
// RSS feed (the Feeds issue).
func importCommand() *command {
	return &command{
		name:    "import",
		summary: "import a podcast from its RSS feed",
		subs: []*command{{
			name:    "feed",
			args:    "URL",
			summary: "create or update a podcast channel from an RSS feed",
			run: func(ctx context.Context, env *env, args []string) error {
				return errors.New("not built yet")
			},
		}},
	}
}
