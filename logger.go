package raft

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"sync"
)

// Logger is the logging interface used by raft. Fatal and Fatalf are
// expected to terminate the process; Panic and Panicf to panic.
type Logger interface {
	Debug(v ...interface{})
	Debugf(format string, v ...interface{})

	Error(v ...interface{})
	Errorf(format string, v ...interface{})

	Info(v ...interface{})
	Infof(format string, v ...interface{})

	Warning(v ...interface{})
	Warningf(format string, v ...interface{})

	Fatal(v ...interface{})
	Fatalf(format string, v ...interface{})

	Panic(v ...interface{})
	Panicf(format string, v ...interface{})
}

// The package-level default logger. It is read once, when a node is
// constructed without Config.Logger; nodes never consult it afterwards.
var (
	defaultLoggerMu sync.Mutex
	defaultLoggerV  Logger = newStderrLogger()
)

func newStderrLogger() *DefaultLogger {
	return &DefaultLogger{Logger: log.New(os.Stderr, "raft ", 0)}
}

// SetLogger sets the package-level default logger.
//
// It exists for compatibility only. A node logs to Config.Logger; when that
// is nil, the package default is read once, at construction, so SetLogger
// affects only nodes constructed after it is called. Prefer setting
// Config.Logger.
func SetLogger(l Logger) {
	defaultLoggerMu.Lock()
	defer defaultLoggerMu.Unlock()
	defaultLoggerV = l
}

// ResetDefaultLogger restores the package-level default logger: a
// DefaultLogger writing to stderr at info level. Like SetLogger it exists
// for compatibility only and affects only nodes constructed afterwards.
func ResetDefaultLogger() {
	SetLogger(newStderrLogger())
}

// defaultLogger returns the package-level default logger.
func defaultLogger() Logger {
	defaultLoggerMu.Lock()
	defer defaultLoggerMu.Unlock()
	return defaultLoggerV
}

// discardLogger drops everything, except that Fatal and Panic still end
// the process or panic: they report broken invariants that must not pass
// silently.
var discardLogger = &DefaultLogger{Logger: log.New(io.Discard, "", 0)}

const (
	calldepth = 2
)

// DefaultLogger is a Logger writing to a standard library *log.Logger, with
// a level prefix on every line. Debug output is off unless EnableDebug is
// called. Fatal and Fatalf log, then exit the process with status 1; Panic
// and Panicf log, then panic with the message.
type DefaultLogger struct {
	*log.Logger
	debug bool
}

// EnableTimestamps adds the date and time to each line.
func (l *DefaultLogger) EnableTimestamps() {
	l.SetFlags(l.Flags() | log.Ldate | log.Ltime)
}

// EnableDebug turns on Debug and Debugf output.
func (l *DefaultLogger) EnableDebug() {
	l.debug = true
}

// Debug logs at debug level, if enabled.
func (l *DefaultLogger) Debug(v ...interface{}) {
	if l.debug {
		l.Output(calldepth, header("DEBUG", fmt.Sprint(v...)))
	}
}

// Debugf logs at debug level, if enabled.
func (l *DefaultLogger) Debugf(format string, v ...interface{}) {
	if l.debug {
		l.Output(calldepth, header("DEBUG", fmt.Sprintf(format, v...)))
	}
}

// Info logs at info level.
func (l *DefaultLogger) Info(v ...interface{}) {
	l.Output(calldepth, header("INFO", fmt.Sprint(v...)))
}

// Infof logs at info level.
func (l *DefaultLogger) Infof(format string, v ...interface{}) {
	l.Output(calldepth, header("INFO", fmt.Sprintf(format, v...)))
}

// Warning logs at warning level.
func (l *DefaultLogger) Warning(v ...interface{}) {
	l.Output(calldepth, header("WARN", fmt.Sprint(v...)))
}

// Warningf logs at warning level.
func (l *DefaultLogger) Warningf(format string, v ...interface{}) {
	l.Output(calldepth, header("WARN", fmt.Sprintf(format, v...)))
}

// Error logs at error level.
func (l *DefaultLogger) Error(v ...interface{}) {
	l.Output(calldepth, header("ERROR", fmt.Sprint(v...)))
}

// Errorf logs at error level.
func (l *DefaultLogger) Errorf(format string, v ...interface{}) {
	l.Output(calldepth, header("ERROR", fmt.Sprintf(format, v...)))
}

// Fatal logs at fatal level, then exits the process with status 1.
func (l *DefaultLogger) Fatal(v ...interface{}) {
	l.Output(calldepth, header("FATAL", fmt.Sprint(v...)))
	os.Exit(1)
}

// Fatalf logs at fatal level, then exits the process with status 1.
func (l *DefaultLogger) Fatalf(format string, v ...interface{}) {
	l.Output(calldepth, header("FATAL", fmt.Sprintf(format, v...)))
	os.Exit(1)
}

// Panic logs at panic level, then panics with the message.
func (l *DefaultLogger) Panic(v ...interface{}) {
	s := fmt.Sprint(v...)
	l.Output(calldepth, header("PANIC", s))
	panic(s)
}

// Panicf logs at panic level, then panics with the message.
func (l *DefaultLogger) Panicf(format string, v ...interface{}) {
	s := fmt.Sprintf(format, v...)
	l.Output(calldepth, header("PANIC", s))
	panic(s)
}

func header(lvl, msg string) string {
	return fmt.Sprintf("%s: %s", lvl, msg)
}

// slogLogger adapts a *slog.Logger to Logger.
type slogLogger struct {
	l *slog.Logger
}

// NewSlogLogger returns a Logger writing to l. Debug, Info, Warning and
// Error map to the slog levels of the same names. Fatal and Fatalf log at
// error level, then exit the process with status 1; Panic and Panicf log at
// error level, then panic with the message. (An addition to the original
// API.)
func NewSlogLogger(l *slog.Logger) Logger {
	return &slogLogger{l: l}
}

func (s *slogLogger) log(lvl slog.Level, msg string) {
	s.l.Log(context.Background(), lvl, msg)
}

func (s *slogLogger) Debug(v ...interface{}) { s.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (s *slogLogger) Debugf(format string, v ...interface{}) {
	s.log(slog.LevelDebug, fmt.Sprintf(format, v...))
}
func (s *slogLogger) Info(v ...interface{}) { s.log(slog.LevelInfo, fmt.Sprint(v...)) }
func (s *slogLogger) Infof(format string, v ...interface{}) {
	s.log(slog.LevelInfo, fmt.Sprintf(format, v...))
}
func (s *slogLogger) Warning(v ...interface{}) { s.log(slog.LevelWarn, fmt.Sprint(v...)) }
func (s *slogLogger) Warningf(format string, v ...interface{}) {
	s.log(slog.LevelWarn, fmt.Sprintf(format, v...))
}
func (s *slogLogger) Error(v ...interface{}) { s.log(slog.LevelError, fmt.Sprint(v...)) }
func (s *slogLogger) Errorf(format string, v ...interface{}) {
	s.log(slog.LevelError, fmt.Sprintf(format, v...))
}
func (s *slogLogger) Fatal(v ...interface{}) {
	s.log(slog.LevelError, fmt.Sprint(v...))
	os.Exit(1)
}
func (s *slogLogger) Fatalf(format string, v ...interface{}) {
	s.log(slog.LevelError, fmt.Sprintf(format, v...))
	os.Exit(1)
}
func (s *slogLogger) Panic(v ...interface{}) {
	m := fmt.Sprint(v...)
	s.log(slog.LevelError, m)
	panic(m)
}
func (s *slogLogger) Panicf(format string, v ...interface{}) {
	m := fmt.Sprintf(format, v...)
	s.log(slog.LevelError, m)
	panic(m)
}
