package mdoc

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Elements lists what a held document carries, namespace → element
// identifier → value, so a wallet can tell before it presents whether it
// can answer a request (Present silently leaves out what is missing).
// full-date and tdate values are given as their text, the form a DCQL
// values constraint names them in.
func (d *Document) Elements() (map[string]map[string]any, error) {
	var is issuerSigned
	if err := cb.dec.Unmarshal(d.IssuerSigned, &is); err != nil {
		return nil, fmt.Errorf("mdoc elements: decode IssuerSigned: %w", err)
	}
	out := map[string]map[string]any{}
	for ns, items := range is.NameSpaces {
		out[ns] = map[string]any{}
		for _, it := range items {
			var item issuerSignedItem
			if err := cb.dec.Unmarshal(it.Inner, &item); err != nil {
				return nil, fmt.Errorf("mdoc elements: decode element: %w", err)
			}
			v := item.ElementValue
			if tag, ok := v.(cbor.Tag); ok && (tag.Number == 1004 || tag.Number == 0) {
				if text, ok := tag.Content.(string); ok {
					v = text
				}
			}
			out[ns][item.ElementIdentifier] = v
		}
	}
	return out, nil
}
