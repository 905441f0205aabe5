package podimport

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestScratch(t *testing.T) {
	for _, doc := range []string{
		`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title></item></channel>`,
		`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</item></channel></rss>`,
		`<?xml version="1.0"?><rss version="2.0"><channel><title>x &amp; y &lt;3</title><item><title>a &nbsp; b</title><description><![CDATA[<p>Hi <b>x</b> &amp; y</p>]]></description></item></channel></rss>`,
		"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\" xmlns:pi=\"https://podcastindex.org/namespace/1.0\"><channel><title>Caf\xe9 \x93quoted\x94</title><pi:locked owner=\"a@b\">yes</pi:locked><item><title>\xc9t\xe9</title><pi:transcript url=\"u\" type=\"text/vtt\"/></item></channel></rss>",
		`not xml at all`,
		`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title></item></channel></rss><junk`,
	} {
		f, err := gofeed.NewParser().Parse(bytes.NewReader([]byte(doc)))
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		fmt.Printf("OK %q %d items ext=%v\n", f.Title, len(f.Items), f.Extensions)
		for _, it := range f.Items {
			fmt.Printf("  %q %q %v\n", it.Title, it.Description, it.Extensions)
		}
	}
}
