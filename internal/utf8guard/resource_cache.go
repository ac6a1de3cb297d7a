package utf8guard

import (
	"sync/atomic"

	"go.opentelemetry.io/otel/sdk/resource"
)

// resourceCache remembers the last resource checked and its valid form, so
// that the resource every span and record of a provider shares is checked
// once, not once per item.
type resourceCache struct {
	last atomic.Pointer[resourcePair]
}

type resourcePair struct{ in, out *resource.Resource }

// get returns r made valid and whether it changed.
func (c *resourceCache) get(r *resource.Resource) (*resource.Resource, bool) {
	if p := c.last.Load(); p != nil && p.in == r {
		return p.out, p.out != r
	}
	out, changed := Resource(r)
	c.last.Store(&resourcePair{r, out})
	return out, changed
}
