package main

import (
	"strings"
	"testing"
)

func TestParsePeers(t *testing.T) {
	got, err := parsePeers(" 2=http://b:2/ ,1=https://a:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1] != "https://a:1" || got[2] != "http://b:2" {
		t.Fatalf("parsePeers = %v", got)
	}
	if s := formatPeers(got); s != "1=https://a:1,2=http://b:2" {
		t.Fatalf("formatPeers = %q", s)
	}
	if m, err := parsePeers(""); err != nil || len(m) != 0 {
		t.Fatalf("empty: %v %v", m, err)
	}
	for in, want := range map[string]string{
		"1":                         "want id=url",
		"0=http://a:1":              "positive integer",
		"x=http://a:1":              "positive integer",
		"1=a:1":                     "must start with http",
		"1=http://a:1,1=http://b:2": "appears twice",
	} {
		if _, err := parsePeers(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsePeers(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
