package torrent

import (
	"bytes"
	"crypto/sha1"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

func TestPieceLengthStaysBetween256KiBAnd1MiB(t *testing.T) {
	for _, c := range []struct {
		size int64
		want int64
	}{
		{1, 256 << 10},
		{100 << 20, 256 << 10}, // 400 pieces
		{256 << 20, 256 << 10}, // 1,024 pieces
		{300 << 20, 512 << 10},
		{1 << 30, 1 << 20},
		{50 << 30, 1 << 20}, // capped: more pieces rather than bigger ones
	} {
		if got := PieceLength(c.size); got != c.want {
			t.Errorf("PieceLength(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}

func TestBuildHashesEveryPieceAndMakesTorrentAndMagnet(t *testing.T) {
	data := make([]byte, 3<<20+17) // 13 pieces, the last one short
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	info, err := Build(bytes.NewReader(data), "720p.mp4", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if info.PieceLength != 256<<10 || info.Length != int64(len(data)) || info.Name != "720p.mp4" {
		t.Fatalf("info = %+v", info)
	}
	var mi metainfo.Info
	if err := bencode.Unmarshal(info.Bytes, &mi); err != nil {
		t.Fatal(err)
	}
	if n := mi.NumPieces(); n != 13 {
		t.Fatalf("%d pieces, want 13", n)
	}
	for i := 0; i < mi.NumPieces(); i++ {
		end := min((i+1)*int(info.PieceLength), len(data))
		sum := sha1.Sum(data[i*int(info.PieceLength) : end])
		if !bytes.Equal(mi.Pieces[i*20:(i+1)*20], sum[:]) {
			t.Fatalf("piece %d hash differs", i)
		}
	}
	if info.Hash != metainfo.HashBytes(info.Bytes) || len(info.HexHash()) != 40 {
		t.Fatalf("infohash %x", info.Hash)
	}
	back, err := Parse(info.Bytes)
	if err != nil || back.Hash != info.Hash || back.Length != info.Length || back.PieceLength != info.PieceLength {
		t.Fatalf("Parse = %+v, %v", back, err)
	}

	public, _ := url.Parse("https://hub.example")
	tracker, webSeed := TrackerURL(public), "https://hub.example/media/items/x/1/720p.mp4"
	if tracker != "wss://hub.example/tracker/socket" {
		t.Fatalf("tracker %q", tracker)
	}
	plain, _ := url.Parse("http://127.0.0.1:8080")
	if got := TrackerURL(plain); got != "ws://127.0.0.1:8080/tracker/socket" {
		t.Fatalf("tracker on http: %q", got)
	}
	file, err := metainfo.Load(bytes.NewReader(File(info, tracker, webSeed)))
	if err != nil {
		t.Fatal(err)
	}
	if file.HashInfoBytes() != info.Hash || file.Announce != tracker || len(file.AnnounceList) != 1 ||
		file.AnnounceList[0][0] != tracker || len(file.UrlList) != 1 || file.UrlList[0] != webSeed {
		t.Fatalf(".torrent = announce %q %v, url-list %v", file.Announce, file.AnnounceList, file.UrlList)
	}
	bare, _ := metainfo.Load(bytes.NewReader(File(info, tracker, "")))
	if len(bare.UrlList) != 0 || bare.HashInfoBytes() != info.Hash {
		t.Fatalf("a .torrent without web seed has url-list %v", bare.UrlList)
	}

	torrentURL := FileURL(public, info.HexHash())
	m, err := metainfo.ParseMagnetUri(Magnet(info, tracker, webSeed, torrentURL, "hub.example:6881"))
	if err != nil {
		t.Fatal(err)
	}
	if m.InfoHash != info.Hash || m.DisplayName != "720p.mp4" || len(m.Trackers) != 1 || m.Trackers[0] != tracker ||
		m.Params.Get("ws") != webSeed || m.Params.Get("xs") != torrentURL || m.Params.Get("x.pe") != "hub.example:6881" {
		t.Fatalf("magnet = %+v", m)
	}
	if torrentURL != "https://hub.example/torrents/"+info.HexHash()+".torrent" {
		t.Fatalf("torrent URL %q", torrentURL)
	}
}

func TestBuildRefusesShortFilesAndBadNames(t *testing.T) {
	if _, err := Build(strings.NewReader("12345"), "a.mp4", 10); err == nil || !strings.Contains(err.Error(), "5 bytes shorter than recorded") {
		t.Fatalf("a file shorter than its row: %v", err)
	}
	for _, name := range []string{"", "a/b.mp4", `a\b.mp4`} {
		if _, err := Build(strings.NewReader("x"), name, 1); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if _, err := Build(strings.NewReader(""), "a.mp4", 0); err == nil {
		t.Error("an empty file got a torrent")
	}
	if _, err := Parse([]byte("not bencode")); err == nil {
		t.Error("Parse accepted garbage")
	}
}
