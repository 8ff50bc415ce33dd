package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

var testCursorKey = []byte("cursor-test-key-0123456789abcdef")

// forgeV1 builds a cursor the way the server signed them before keys: an unkeyed digest
// anyone can recompute, here carrying a payload no server would make.
func forgeV1(scope, micros, id string) string {
	payload := scope + "|" + micros + "|" + id
	sum := sha256.Sum256([]byte("geopol-cursor-v1|" + payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload + "|" + hex.EncodeToString(sum[:6])))
}

// forgeV2 is a cursor in today's layout under a key other than the server's.
func forgeV2(key []byte, scope, payload string) string {
	return cursorEncoding.EncodeToString([]byte(payload)) + "." + cursorEncoding.EncodeToString(cursorTag(key, scope, payload))
}

func TestCursorsVerifyOnlyForTheirList(t *testing.T) {
	at := time.Date(2026, 11, 27, 6, 0, 0, 123456000, time.UTC)
	raw := cursor{createdAt: at, id: "0b5c8d36-9d0e-4a8e-9bb3-0c4f3c1f2a10"}.encode(testCursorKey, "country:SYR")
	got, err := decodeCursor(testCursorKey, raw, "country:SYR")
	if err != nil || !got.createdAt.Equal(at) || got.id != "0b5c8d36-9d0e-4a8e-9bb3-0c4f3c1f2a10" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	payload, tag, _ := strings.Cut(raw, ".")
	flipped := []byte(tag)
	flipped[3] ^= 1
	for name, c := range map[string]struct{ raw, scope string }{
		"another list":        {raw, "country:UKR"},
		"another key":         {cursor{createdAt: at, id: "x"}.encode([]byte("another-key-0123456789abcdefghij"), "country:SYR"), "country:SYR"},
		"tag altered":         {payload + "." + string(flipped), "country:SYR"},
		"tag cut":             {payload + "." + tag[:len(tag)-2], "country:SYR"},
		"no tag":              {payload, "country:SYR"},
		"padded base64":       {payload + "==." + tag, "country:SYR"},
		"v1 unkeyed":          {forgeV1("country:SYR", "1", "x"), "country:SYR"},
		"v1 with NUL":         {forgeV1("country:SYR", "1", "a\x00b"), "country:SYR"},
		"v1 invalid UTF-8":    {forgeV1("country:SYR", "1", "\xff\xfe"), "country:SYR"},
		"v1 events with NUL":  {forgeV1("events:0000000000000000", "0", "1\x00"), "events:0000000000000000"},
		"v2 NUL, wrong key":   {forgeV2([]byte("guess"), "country:SYR", "1|a\x00b"), "country:SYR"},
		"v2 UTF-8, wrong key": {forgeV2([]byte("guess"), "country:SYR", "1|\xff"), "country:SYR"},
		"too long":            {strings.Repeat("A", maxCursorLen+1), "country:SYR"},
		"empty":               {"", "country:SYR"},
	} {
		if got, err := decodeCursor(testCursorKey, c.raw, c.scope); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		} else if asAPIError(err).Status != 400 {
			t.Errorf("%s: %v, want 400", name, err)
		}
	}
	// Even a payload signed with the right key is read strictly.
	for _, p := range []string{"1|a\x00b", "1|\xff", "x|id", "1|", "1"} {
		if _, err := decodeCursor(testCursorKey, forgeV2(testCursorKey, "s", p), "s"); err == nil {
			t.Errorf("signed payload %q accepted", p)
		}
	}
}

// FuzzDecodeCursor: decoding never panics, and only cursors the server made verify: any
// cursor that decodes re-encodes to exactly the string that came in.
func FuzzDecodeCursor(f *testing.F) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, s := range []string{"country:SYR", "events:0123456789abcdef", "ingest-runs::", "ingest-runs:failed:gdelt"} {
		f.Add(cursor{createdAt: at, id: "0b5c8d36-9d0e-4a8e-9bb3-0c4f3c1f2a10"}.encode(testCursorKey, s), s)
		f.Add(cursor{id: "1234567890"}.encode(testCursorKey, s), s)
		f.Add(forgeV1(s, "1", "a\x00b"), s)
		f.Add(forgeV2([]byte("guess"), s, "1|\xff"), s)
	}
	f.Add("", "")
	f.Add("%%%", "country:SYR")
	f.Add("bm90LWEtY3Vyc29y", "country:SYR")
	f.Fuzz(func(t *testing.T, raw, scope string) {
		got, err := decodeCursor(testCursorKey, raw, scope)
		if err != nil {
			if asAPIError(err).Status != 400 {
				t.Fatalf("%q: %v is not a 400", raw, err)
			}
			return
		}
		if again := got.encode(testCursorKey, scope); again != raw {
			t.Fatalf("%q verified but the server would write %q", raw, again)
		}
	})
}
