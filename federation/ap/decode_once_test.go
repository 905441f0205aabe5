package ap

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// DecodeActivityObject reads every captured activity, and odd ones, as
// DecodeActivity then DecodeObject of its embedded object do.
func TestDecodeActivityObjectMatchesTwoDecodes(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(fixtureDir, "*.http"))
	if err != nil || len(names) == 0 {
		t.Fatalf("fixtures: %v", err)
	}
	docs := map[string][]byte{}
	for _, n := range names {
		if strings.Contains(n, "signed-get") {
			continue
		}
		docs[filepath.Base(n)] = httpBody(t, filepath.Base(n))
	}
	for name, doc := range map[string]string{
		"no id":            `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"type":"Note","content":"x"}}`,
		"no type":          `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"id":"https://a.example/n"}}`,
		"href":             `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"href":"https://a.example/n","type":"Link"}}`,
		"bad field":        `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"id":"https://a.example/n","type":"Note","sensitive":"yes"}}`,
		"array":            `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":[null,{"id":"https://a.example/n","type":"Note"},"https://a.example/m"]}`,
		"iri":              `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":"https://a.example/n"}`,
		"no object":        `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u"}`,
		"type array":       `{"id":"https://a.example/1","type":["Create"],"actor":"https://a.example/u","object":{"id":"https://a.example/n","type":["Note","x:Y"]}}`,
		"broken":           `{"id":"https://a.example/1","type":"Create","object":{"id":`,
		"activity no type": `{"id":"https://a.example/1","object":{"id":"https://a.example/n","type":"Note"}}`,
	} {
		docs[name] = []byte(doc)
	}
	for name, data := range docs {
		wantAct, wantErr := DecodeActivity(data)
		var wantObj *Object
		var wantObjErr error
		if wantErr == nil && wantAct.Object.Raw != nil {
			wantObj, wantObjErr = DecodeObject(wantAct.Object.Raw)
		}
		act, obj, objErr, err := DecodeActivityObject(data)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: error %v, want %v", name, err, wantErr)
			continue
		}
		if !reflect.DeepEqual(act, wantAct) {
			t.Errorf("%s: activity\n%+v\nwant\n%+v", name, act, wantAct)
		}
		if !reflect.DeepEqual(obj, wantObj) {
			t.Errorf("%s: object\n%+v\nwant\n%+v", name, obj, wantObj)
		}
		if (objErr == nil) != (wantObjErr == nil) || objErr != nil && objErr.Error() != wantObjErr.Error() {
			t.Errorf("%s: object error %v, want %v", name, objErr, wantObjErr)
		}
	}
}

// The plain-string shortcut decodes exactly what encoding/json decodes,
// and leaves everything else to it: escapes, invalid UTF-8 (replaced by
// U+FFFD), control characters (invalid JSON), non-strings.
func TestPlainStringMatchesEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`""`, `"https://a.example/users/x"`, `"été"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, `"a\/b"`,
		"\"bad \xff utf8\"", "\"tab\there\"", `"unterminated`, `x"`, `"`, `42`, `null`, `["a"]`,
	} {
		want := ""
		wantErr := json.Unmarshal([]byte(doc), &want)
		s, ok := plainString([]byte(doc))
		if ok && (wantErr != nil || s != want) {
			t.Errorf("plainString(%q) = %q; encoding/json: %q, %v", doc, s, want, wantErr)
		}
		if !ok && wantErr == nil && doc[0] == '"' && !strings.ContainsAny(doc, "\\\xff") {
			t.Errorf("plainString(%q) refused a plain string", doc)
		}
		if wantErr != nil {
			continue
		}
		got, err := stringOf([]byte(doc))
		if err != nil || got != want {
			t.Errorf("stringOf(%q) = %q, %v; want %q", doc, got, err, want)
		}
		var iris IRIs
		if err := json.Unmarshal([]byte(`{"to":`+doc+`}`), &struct {
			To *IRIs `json:"to"`
		}{&iris}); err != nil || (want != "" && (len(iris) != 1 || iris[0] != want)) {
			t.Errorf("IRIs from %q: %q, %v", doc, iris, err)
		}
	}
}
