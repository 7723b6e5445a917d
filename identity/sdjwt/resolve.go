package sdjwt

import (
	"fmt"
	"strings"
)

// maxDepth bounds the recursion through nested objects and disclosures.
const maxDepth = 32

// Resolve applies disclosures to an issuer-signed payload (RFC 9901 §7.1):
// every digest found in an "_sd" array or a {"...": digest} array element is
// replaced by its disclosure, recursively; digests without a disclosure are
// decoys and vanish. It refuses a digest that appears twice, a disclosure
// that is sent twice or left unused, a claim name that clashes with a plain
// claim, and a disclosure of the wrong form for its place. The payload is
// not modified; "_sd_alg" is removed from the result.
func Resolve(payload map[string]any, raws []string) (map[string]any, error) {
	r := resolver{byDigest: make(map[string]*Disclosure, len(raws)), seen: map[string]bool{}}
	for i, raw := range raws {
		d, err := ParseDisclosure(raw)
		if err != nil {
			return nil, fmt.Errorf("disclosure %d: %w", i+1, err)
		}
		if _, dup := r.byDigest[d.Digest]; dup {
			return nil, fmt.Errorf("%w: disclosure %d is sent twice", ErrBadDisclosure, i+1)
		}
		r.byDigest[d.Digest] = &d
	}
	out, err := r.object(payload, 0)
	if err != nil {
		return nil, err
	}
	delete(out, KeySDAlg)
	if unused := len(r.byDigest) - r.used; unused > 0 {
		var names []string
		for _, d := range r.byDigest {
			if !r.seen[d.Digest] {
				names = append(names, describe(d))
			}
		}
		return nil, fmt.Errorf("%w: %d disclosure(s) not referenced by the issuer-signed JWT: %s", ErrBadDisclosure, unused, strings.Join(names, ", "))
	}
	return out, nil
}

type resolver struct {
	byDigest map[string]*Disclosure
	seen     map[string]bool // every digest met in the payload, decoys included
	used     int
}

func describe(d *Disclosure) string {
	if d.ArrayElement {
		return "array element"
	}
	return fmt.Sprintf("%q", d.Name)
}

// take records a digest met in the payload and returns its disclosure, if any.
func (r *resolver) take(digest string) (*Disclosure, error) {
	if r.seen[digest] {
		return nil, fmt.Errorf("%w: digest %s appears more than once", ErrBadDisclosure, digest)
	}
	r.seen[digest] = true
	d, ok := r.byDigest[digest]
	if ok {
		r.used++
	}
	return d, nil
}

// disclose looks up a digest found in an object's _sd (arrayElement false)
// or an array's {"...": digest} (true) and resolves its disclosure's value;
// a nil disclosure means a decoy.
func (r *resolver) disclose(digest string, arrayElement bool, depth int) (*Disclosure, any, error) {
	d, err := r.take(digest)
	if err != nil || d == nil {
		return nil, nil, err
	}
	if d.ArrayElement != arrayElement {
		if arrayElement {
			return nil, nil, fmt.Errorf("%w: object property disclosure %q referenced from an array", ErrBadDisclosure, d.Name)
		}
		return nil, nil, fmt.Errorf("%w: array element disclosure referenced from an object's %q", ErrBadDisclosure, KeySD)
	}
	rv, err := r.value(d.Value, depth+1)
	if err != nil {
		return nil, nil, err
	}
	return d, rv, nil
}

func (r *resolver) value(v any, depth int) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		return r.object(t, depth)
	case []any:
		return r.array(t, depth)
	}
	return v, nil
}

func (r *resolver) object(in map[string]any, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrBadDisclosure, maxDepth)
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		if k == KeySD {
			continue
		}
		if k == KeyArray {
			return nil, fmt.Errorf("%w: %q key outside an array element", ErrBadDisclosure, KeyArray)
		}
		rv, err := r.value(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = rv
	}
	sdv, ok := in[KeySD]
	if !ok {
		return out, nil
	}
	digests, ok := sdv.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not an array", ErrBadDisclosure, KeySD)
	}
	for _, dv := range digests {
		digest, ok := dv.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %q holds a non-string digest", ErrBadDisclosure, KeySD)
		}
		d, rv, err := r.disclose(digest, false, depth)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue // decoy
		}
		if _, clash := out[d.Name]; clash {
			return nil, fmt.Errorf("%w: disclosed claim %q already exists", ErrBadDisclosure, d.Name)
		}
		out[d.Name] = rv
	}
	return out, nil
}

func (r *resolver) array(in []any, depth int) ([]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrBadDisclosure, maxDepth)
	}
	out := make([]any, 0, len(in))
	for _, el := range in {
		if obj, ok := el.(map[string]any); ok {
			if dv, ok := obj[KeyArray]; ok {
				if len(obj) != 1 {
					return nil, fmt.Errorf("%w: array element with %q has other keys", ErrBadDisclosure, KeyArray)
				}
				digest, ok := dv.(string)
				if !ok {
					return nil, fmt.Errorf("%w: %q holds a non-string digest", ErrBadDisclosure, KeyArray)
				}
				d, rv, err := r.disclose(digest, true, depth)
				if err != nil {
					return nil, err
				}
				if d == nil {
					continue // decoy or undisclosed element
				}
				out = append(out, rv)
				continue
			}
		}
		rv, err := r.value(el, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
	}
	return out, nil
}
