package rafttest

import (
	"fmt"
	"strings"
)

// logLevel orders the severities of log lines; a line is printed when its
// level is at least the environment's threshold.
type logLevel int

const (
	levelDebug logLevel = iota
	levelInfo
	levelWarn
	levelError
	levelFatal
	levelNone
)

var levelNames = [...]string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL", "NONE"}

// parseLevel maps the argument of log-level to a threshold.
func parseLevel(s string) (logLevel, error) {
	for l, name := range levelNames {
		if strings.EqualFold(s, name) {
			return logLevel(l), nil
		}
	}
	return 0, fmt.Errorf("unknown log level %q (want none, debug, info, warn or error)", s)
}

// logger is the raft.Logger of every node in an environment. It writes
// each line, prefixed only by its level, into the command output, so that
// log lines appear next to the action that caused them. Fatal and Panic
// lines are always printed, and then panic: they report broken invariants.
type logger struct {
	out   *Output
	level logLevel
}

func (l *logger) print(lvl logLevel, msg string) {
	if lvl < l.level && lvl < levelFatal {
		return
	}
	l.out.Printf("%s %s\n", levelNames[lvl], strings.TrimRight(msg, "\n"))
}

func (l *logger) Debug(v ...interface{}) { l.print(levelDebug, fmt.Sprint(v...)) }
func (l *logger) Debugf(format string, v ...interface{}) {
	l.print(levelDebug, fmt.Sprintf(format, v...))
}
func (l *logger) Info(v ...interface{}) { l.print(levelInfo, fmt.Sprint(v...)) }
func (l *logger) Infof(format string, v ...interface{}) {
	l.print(levelInfo, fmt.Sprintf(format, v...))
}
func (l *logger) Warning(v ...interface{}) { l.print(levelWarn, fmt.Sprint(v...)) }
func (l *logger) Warningf(format string, v ...interface{}) {
	l.print(levelWarn, fmt.Sprintf(format, v...))
}
func (l *logger) Error(v ...interface{}) { l.print(levelError, fmt.Sprint(v...)) }
func (l *logger) Errorf(format string, v ...interface{}) {
	l.print(levelError, fmt.Sprintf(format, v...))
}
func (l *logger) Fatal(v ...interface{}) { l.fatal(fmt.Sprint(v...)) }
func (l *logger) Fatalf(format string, v ...interface{}) {
	l.fatal(fmt.Sprintf(format, v...))
}
func (l *logger) Panic(v ...interface{}) { l.fatal(fmt.Sprint(v...)) }
func (l *logger) Panicf(format string, v ...interface{}) {
	l.fatal(fmt.Sprintf(format, v...))
}

// fatal prints the line and panics: the scenario cannot go on.
func (l *logger) fatal(msg string) {
	l.print(levelFatal, msg)
	panic(msg)
}
