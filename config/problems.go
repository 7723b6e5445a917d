package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a config file, located by line so an
// operator can jump straight to it.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Problems is every problem found in one file, sorted by line. It is the
// error Load and Parse return when a file is refused.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// validator collects problems; paths like "agencies[2].queue.strategy" are
// turned into lines through the index built from the YAML node tree.
type validator struct {
	file     string
	lines    map[string]int
	nodes    map[int][]typedNode // by line, for decoder type errors (typeerrors.go)
	problems Problems
}

func newValidator(file string) *validator {
	return &validator{file: file, lines: map[string]int{"": 1}}
}

// errf records a problem at path (an absent key falls back to its nearest
// ancestor's line). The path leads the message so the operator knows which
// key is meant even when the line belongs to an ancestor.
func (v *validator) errf(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	v.add(v.lineOf(path), msg)
}

func (v *validator) add(line int, msg string) {
	// One line per problem, whatever the YAML values held.
	msg = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(msg)
	v.problems = append(v.problems, Problem{File: v.file, Line: line, Msg: msg})
}

func (v *validator) lineOf(path string) int {
	for {
		if l, ok := v.lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
}

// parentPath drops the last ".key" or "[i]" of a path; the root is "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// result returns the sorted problems, or nil when there are none.
func (v *validator) result() error {
	if len(v.problems) == 0 {
		return nil
	}
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].Line < v.problems[j].Line })
	return v.problems
}

var yamlLineRE = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)

// yaml.v3 reports parser (not scanner) errors with a 0-based line; these
// are the parser's messages, whose line needs one added.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// addYAMLError turns yaml.v3's errors ("yaml: line 3: ...", or a TypeError
// with one "line N: ..." entry per field) into located problems.
func (v *validator) addYAMLError(err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 1
		if sm := yamlLineRE.FindStringSubmatch(msg); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			msg = sm[2]
			if yamlParserProblems[msg] {
				line++
			}
		}
		v.add(line, msg)
		return
	}
	for _, m := range te.Errors {
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			if msg, ok := v.typeProblem(line, sm[2]); ok {
				v.add(line, msg)
				continue
			}
			v.add(line, pathPrefix(v.pathAt(line))+sm[2])
			continue
		}
		v.add(1, strings.TrimPrefix(m, "yaml: "))
	}
}

// pathAt is the deepest indexed path on line, to name the key a decoder
// error (which knows only lines) is about.
func (v *validator) pathAt(line int) string {
	best := ""
	for p, l := range v.lines {
		if l == line && (len(p) > len(best) || len(p) == len(best) && p < best) {
			best = p
		}
	}
	return best
}
