package otelboot

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
)

type resourceT = resource.Resource

type detectorFunc func() *resource.Resource

func (f detectorFunc) Detect(context.Context) (*resource.Resource, error) { return f(), nil }

func newResourceWithSchema(url string, kv ...attribute.KeyValue) *resource.Resource {
	return resource.NewWithAttributes(url, kv...)
}
