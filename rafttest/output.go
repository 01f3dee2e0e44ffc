package rafttest

import (
	"fmt"
	"strings"
)

// Output collects the text a command prints. Lines written while nested
// (see Nest) are indented by two spaces per level, so that node log lines
// appear inside the block of the action that caused them.
type Output struct {
	buf     strings.Builder
	indent  int
	midLine bool
}

// Write implements io.Writer, indenting every line it starts.
func (o *Output) Write(p []byte) (int, error) {
	s := string(p)
	for len(s) > 0 {
		if !o.midLine {
			o.buf.WriteString(strings.Repeat("  ", o.indent))
			o.midLine = true
		}
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			o.buf.WriteString(s)
			break
		}
		o.buf.WriteString(s[:i+1])
		o.midLine = false
		s = s[i+1:]
	}
	return len(p), nil
}

// Printf formats and writes, like fmt.Printf.
func (o *Output) Printf(format string, args ...interface{}) {
	fmt.Fprintf(o, format, args...)
}

// Println writes its operands separated by spaces and ends the line.
func (o *Output) Println(args ...interface{}) {
	fmt.Fprintln(o, args...)
}

// Nest runs f with the output indented one more level.
func (o *Output) Nest(f func()) {
	o.endLine()
	o.indent++
	defer func() {
		o.endLine()
		o.indent--
	}()
	f()
}

// endLine finishes a partly written line.
func (o *Output) endLine() {
	if o.midLine {
		o.buf.WriteByte('\n')
		o.midLine = false
	}
}

// String returns everything written since the last Reset.
func (o *Output) String() string { return o.buf.String() }

// Reset empties the output.
func (o *Output) Reset() {
	o.buf.Reset()
	o.indent = 0
	o.midLine = false
}

// Print writes s as is.
func (o *Output) Print(s string) {
	_, _ = o.Write([]byte(s))
}
