package raft

import (
	"bytes"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	l := &DefaultLogger{Logger: log.New(&buf, "", 0)}

	l.Debug("hidden")
	l.Debugf("hidden %d", 1)
	l.Info("a", 1)
	l.Infof("b %d", 2)
	l.Warning("c")
	l.Warningf("d %s", "x")
	l.Error("e")
	l.Errorf("f %v", true)
	l.EnableDebug()
	l.Debug("g")
	l.Debugf("h %d", 3)
	require.Equal(t, "INFO: a1\nINFO: b 2\nWARN: c\nWARN: d x\nERROR: e\nERROR: f true\nDEBUG: g\nDEBUG: h 3\n", buf.String())

	buf.Reset()
	require.PanicsWithValue(t, "boom 7", func() { l.Panicf("boom %d", 7) })
	require.PanicsWithValue(t, "bang", func() { l.Panic("bang") })
	require.Equal(t, "PANIC: boom 7\nPANIC: bang\n", buf.String())

	buf.Reset()
	l.EnableTimestamps()
	l.Info("t")
	require.Regexp(t, `^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} INFO: t\n$`, buf.String())
}

// TestLoggerFatalExits runs Fatal in a child process and checks that it
// exits with status 1 after logging.
func TestLoggerFatalExits(t *testing.T) {
	switch os.Getenv("RAFT_TEST_FATAL") {
	case "default":
		l := &DefaultLogger{Logger: log.New(os.Stderr, "", 0)}
		l.Fatalf("fatal %d", 1)
		return
	case "slog":
		NewSlogLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))).Fatal("fatal", 2)
		return
	}
	for _, tt := range []struct{ kind, want string }{
		{"default", "FATAL: fatal 1"},
		{"slog", "level=ERROR msg=fatal2"},
	} {
		kind, want := tt.kind, tt.want
		t.Run(kind, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLoggerFatalExits$")
			cmd.Env = append(os.Environ(), "RAFT_TEST_FATAL="+kind)
			out, err := cmd.CombinedOutput()
			var exitErr *exec.ExitError
			require.ErrorAs(t, err, &exitErr)
			require.Equal(t, 1, exitErr.ExitCode())
			require.Contains(t, string(out), want)
		})
	}
}

func TestSlogLogger(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // drop the time for a stable output
			}
			return a
		},
	})
	l := NewSlogLogger(slog.New(h))
	l.Debug("a")
	l.Debugf("b %d", 1)
	l.Info("c")
	l.Infof("d %d", 2)
	l.Warning("e")
	l.Warningf("f %d", 3)
	l.Error("g")
	l.Errorf("h %d", 4)
	require.PanicsWithValue(t, "i 5", func() { l.Panicf("i %d", 5) })
	require.PanicsWithValue(t, "j", func() { l.Panic("j") })
	want := []string{
		"level=DEBUG msg=a",
		`level=DEBUG msg="b 1"`,
		"level=INFO msg=c",
		`level=INFO msg="d 2"`,
		"level=WARN msg=e",
		`level=WARN msg="f 3"`,
		"level=ERROR msg=g",
		`level=ERROR msg="h 4"`,
		`level=ERROR msg="i 5"`,
		"level=ERROR msg=j",
	}
	require.Equal(t, want, strings.Split(strings.TrimSpace(buf.String()), "\n"))
}

func TestPackageDefaultLogger(t *testing.T) {
	defer ResetDefaultLogger()

	var buf bytes.Buffer
	custom := &DefaultLogger{Logger: log.New(&buf, "", 0)}
	SetLogger(custom)
	require.Same(t, custom, defaultLogger())

	ResetDefaultLogger()
	d, ok := defaultLogger().(*DefaultLogger)
	require.True(t, ok)
	require.Equal(t, os.Stderr, d.Writer())
	require.False(t, d.debug, "info level by default")

	// The discard logger writes nothing but still panics.
	discardLogger.Info("nothing")
	require.Panics(t, func() { discardLogger.Panicf("still %s", "panics") })
}
