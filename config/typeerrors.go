package config

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// A typed node is a value the walk saw, kept by line so a decoder type error
// (which knows only the line, the YAML tag and the Go type) can name its key:
// a flow mapping such as `{ id: "1001", password: x, skills: [tax] }` puts
// several keys on one line.
type typedNode struct {
	path, tag, value string
}

func (v *validator) noteNode(n *yaml.Node, path string) {
	if path == "" {
		return
	}
	if v.nodes == nil {
		v.nodes = map[int][]typedNode{}
	}
	v.nodes[n.Line] = append(v.nodes[n.Line], typedNode{path: path, tag: n.ShortTag(), value: n.Value})
}

// "cannot unmarshal !!str `lots` into int", as yaml.v3 words it (values over
// 10 bytes cut to 7 and "...").
var yamlTypeErrorRE = regexp.MustCompile("^cannot unmarshal (!![a-z]+)(?: `(.*)`)? into (.+)$")

// typeProblem rewords a decoder type error on line in the config's terms: the
// key it is about and what belongs there, without Go type names.
func (v *validator) typeProblem(line int, msg string) (string, bool) {
	m := yamlTypeErrorRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	tag, value, goType := m[1], m[2], m[3]
	path := ""
	for _, n := range v.nodes[line] {
		if n.tag != tag || !sameValue(n.value, value, tag) {
			continue
		}
		if len(n.path) > len(path) {
			path = n.path // the innermost: `agents: [{ skills: [tax] }]` is about skills
		}
	}
	if path == "" {
		path = v.pathAt(line)
	}
	got := map[string]string{"!!seq": "a list", "!!map": "a mapping", "!!null": "nothing"}[tag]
	if got == "" {
		got = fmt.Sprintf("%q", value)
	}
	return fmt.Sprintf("%s%s is given, but this key takes %s", pathPrefix(path), got, wanted(goType)), true
}

func sameValue(node, reported, tag string) bool {
	if tag == "!!seq" || tag == "!!map" {
		return true
	}
	if cut, ok := strings.CutSuffix(reported, "..."); ok && len(node) > 10 {
		return strings.HasPrefix(node, cut)
	}
	return node == reported
}

// wanted names a Go field type the way the config reference does.
func wanted(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping (key: value)"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a single value (text)"
	}
	return "a mapping of its own keys"
}
