package server

import "context"

func withValue(ctx context.Context, k ctxKey, v any) context.Context {
	return context.WithValue(ctx, k, v)
}
