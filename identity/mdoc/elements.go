package mdoc

import "fmt"

// Elements lists what a held document carries, namespace → element
// identifier → value, so a wallet can tell before it presents whether it
// can answer a request (Present silently leaves out what is missing).
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
			out[ns][item.ElementIdentifier] = item.ElementValue
		}
	}
	return out, nil
}
