package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse decodes and validates a config; name is the file name used in
// problems and to resolve relative paths. A refused file gives Problems.
func Parse(name string, data []byte) (*Config, error) {
	v := newValidator(name)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		v.addYAMLError(err)
		return nil, v.result()
	}
	if len(doc.Content) == 0 || len(bytes.TrimSpace(data)) == 0 {
		v.add(1, "empty config")
		return nil, v.result()
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		v.add(root.Line, "the config must be a mapping of sections (listen, media, agencies, ...)")
		return nil, v.result()
	}
	v.walk(root, reflect.TypeFor[Config](), "")

	cfg := &Config{Path: name}
	if err := decode(root, cfg); err != nil {
		v.addYAMLError(err)
		if !partialDecode(err) {
			// Decoding dropped more than single fields, so validating the
			// half-filled config would only add false problems.
			return nil, v.result()
		}
	}
	cfg.applyDefaults()
	cfg.validate(v)
	if err := v.result(); err != nil {
		return nil, err
	}
	cfg.Warnings = cfg.warnings(v)
	return cfg, nil
}

// decode is root.Decode made safe: yaml.v3 v3.0.1 panics on some inputs
// (a merge of a mapping with a mapping as a key), and a bad file must be a
// refusal, not a crash.
func decode(root *yaml.Node, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: line %d: cannot decode this document: %v", root.Line, r)
		}
	}()
	return root.Decode(cfg)
}

// partialDecode says whether a decode error left everything but the
// mismatched fields filled in. A duplicate key makes yaml.v3 skip its whole
// mapping.
func partialDecode(err error) bool {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return false
	}
	for _, m := range te.Errors {
		if strings.Contains(m, "already defined at line") {
			return false
		}
	}
	return true
}

// walk indexes the line of every key and sequence item by path and reports
// each key the target type does not have (yaml.v3's KnownFields stops at the
// first one; operators want them all).
func (v *validator) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		// The anchored node is checked where it is defined; following
		// aliases here would loop on self-reference and multiply work on
		// alias bombs (the decoder guards itself against both).
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	v.noteNode(n, path)
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				continue // merged mappings are aliases, checked at their anchor
			}
			p := joinPath(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				v.add(k.Line, fmt.Sprintf("%sunknown key %q (known: %s)", pathPrefix(path), k.Value, knownKeys(fields)))
				continue
			}
			v.lines[p] = k.Line
			v.walk(val, ft, p)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := joinPath(path, n.Content[i].Value)
			v.lines[p] = n.Content[i].Line
			v.walk(n.Content[i+1], t.Elem(), p)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			v.lines[p] = item.Line
			v.walk(item, t.Elem(), p)
		}
	}
	// Kind mismatches are left to the decoder, which reports them with lines.
}

// yamlFields maps a struct's yaml key names to field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

func knownKeys(fields map[string]reflect.Type) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func pathPrefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}
