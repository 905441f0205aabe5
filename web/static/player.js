// Archipel's P2P player. The page renders a plain <video> or <audio> with
// HTTP sources; this module, when the viewer has not turned P2P off and the
// browser can (WebRTC and service workers), plays the same file over
// WebTorrent instead: from the hub's own WebRTC peer and from other
// viewers, with the file's URL as web seed when peers are missing or slow.
// It shows where the bytes came from, and a switch that turns P2P off and
// is remembered.
const STORAGE_KEY = "archipel.p2p";
// How long playback waits for peers before the web seed joins, and how long
// a stall may last before it joins anyway.
const PEER_GRACE_MS = 1500;
const STALL_MS = 1000;

const box = document.querySelector("[data-p2p-torrent]");
if (box) {
  setUp(box);
}

function setUp(box) {
  const media = box.querySelector("video, audio");
  const panel = box.querySelector(".p2p-panel");
  const toggle = box.querySelector(".p2p-switch");
  const stats = box.querySelector(".p2p-stats");
  panel.hidden = false;
  let session = null;

  const say = (text) => { stats.textContent = text; };
  const t = (name, ...args) => text(panel, name, args);
  const wanted = () => localStorage.getItem(STORAGE_KEY) !== "off";
  toggle.checked = wanted();

  const capable = "serviceWorker" in navigator && typeof RTCPeerConnection === "function" && window.isSecureContext;
  if (!capable) {
    toggle.disabled = true;
    box.dataset.p2pState = "unsupported";
    say(t("unsupported"));
    return;
  }
  toggle.addEventListener("change", () => {
    localStorage.setItem(STORAGE_KEY, toggle.checked ? "on" : "off");
    if (toggle.checked) {
      start();
    } else {
      stop();
    }
  });
  if (wanted()) {
    start();
  } else {
    box.dataset.p2pState = "off";
    say(t("off"));
  }

  function start() {
    if (session) {
      return;
    }
    session = { cancelled: false };
    const own = session;
    box.dataset.p2pState = "starting";
    say(t("connecting"));
    play(box, media, own, say, t).catch((err) => {
      if (own.cancelled) {
        return;
      }
      // Anything that fails falls back to the page's HTTP sources.
      console.warn("P2P playback unavailable, playing over HTTP:", err);
      stop();
      box.dataset.p2pState = "fallback";
      say(t("fallback"));
    });
  }

  function stop() {
    if (!session) {
      return;
    }
    session.cancelled = true;
    const at = media.currentTime;
    const paused = media.paused;
    if (session.client) {
      session.client.destroy();
    }
    clearInterval(session.timer);
    session = null;
    // Back to the HTTP sources, where playback was.
    media.removeAttribute("src");
    media.load();
    media.addEventListener("loadedmetadata", () => {
      media.currentTime = at;
      if (!paused) {
        media.play().catch(() => {});
      }
    }, { once: true });
    box.dataset.p2pState = "off";
    say(t("off"));
  }
}

async function play(box, media, session, say, t) {
  const [{ default: WebTorrent }, registration] = await Promise.all([
    import(box.dataset.p2pLib),
    registerWorker(box.dataset.p2pWorker),
  ]);
  if (session.cancelled) {
    return;
  }
  const torrentFile = new Uint8Array(await (await fetch(box.dataset.p2pTorrent)).arrayBuffer());
  const webSeed = box.dataset.p2pWebseed;
  const serverPeer = box.dataset.p2pServerPeer;
  const iceServers = JSON.parse(box.dataset.p2pIce || "[]");

  const client = new WebTorrent({ dht: false, lsd: false, utp: false, tracker: { rtcConfig: { iceServers } }, webSeeds: true });
  session.client = client;
  client.on("error", (err) => console.warn("WebTorrent:", err && err.message));
  client.createServer({ controller: registration });

  const bytes = { webseed: 0, server: 0, peers: 0 };
  const torrent = client.add(torrentFile);
  torrent.on("warning", () => {}); // tracker and web-seed hiccups are retried
  torrent.on("wire", (wire) => {
    const source = wire.type === "webSeed" ? "webseed" : (wire.peerId && wire.peerId.startsWith(serverPeer) ? "server" : "peers");
    wire.on("download", (n) => { bytes[source] += n; });
  });

  let seeded = false;
  const addWebSeed = () => {
    if (!seeded && !session.cancelled && webSeed) {
      seeded = true;
      torrent.addWebSeed(webSeed);
    }
  };
  const peerWires = () => torrent.wires.filter((w) => w.type !== "webSeed").length;
  // No peer yet after a short grace: the web seed starts playback at once.
  // Past the grace, losing every peer before the end brings it in too
  // (checked each second below): a paused video never stalls, so a peer
  // that connected within the grace and then left used to leave the
  // download waiting for ever.
  let graceOver = false;
  setTimeout(() => {
    graceOver = true;
    if (peerWires() === 0) addWebSeed();
  }, PEER_GRACE_MS);
  // A stall while peers are slow brings the web seed in too.
  let stallTimer = 0;
  media.addEventListener("waiting", () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(addWebSeed, STALL_MS);
  });
  media.addEventListener("playing", () => clearTimeout(stallTimer));

  await new Promise((resolve) => (torrent.ready ? resolve() : torrent.once("ready", resolve)));
  if (session.cancelled) {
    return;
  }
  torrent.files[0].streamTo(media);
  box.dataset.p2pState = "on";

  const render = () => {
    if (graceOver && !torrent.done && peerWires() === 0) addWebSeed();
    const total = torrent.length;
    box.dataset.bytesWebseed = bytes.webseed;
    box.dataset.bytesServer = bytes.server;
    box.dataset.bytesPeers = bytes.peers;
    box.dataset.peers = peerWires();
    box.dataset.done = torrent.done ? "true" : "false";
    box.dataset.length = total;
    const units = t("units").split("|");
    const peers = peerWires();
    const form = new Intl.PluralRules(document.documentElement.lang).select(peers) === "one" ? "one" : "other";
    say(t("stats", size(bytes.webseed + bytes.server, units), size(bytes.peers, units), t("peers-" + form, peers)));
  };
  render();
  session.timer = setInterval(render, 1000);
}

// registerWorker installs WebTorrent's service worker over the whole site
// (it answers only /webtorrent/ URLs) and waits until it controls the page.
async function registerWorker(url) {
  const registration = await navigator.serviceWorker.register(url, { scope: "/" });
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
  return registration;
}

// size shows a byte count with units, such as ["B", "kB", "MB", "GB"].
function size(n, units) {
  const lang = document.documentElement.lang;
  const num = (v, digits) => v.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (n < 1000) return `${n} ${units[0]}`;
  if (n < 1e6) return `${num(n / 1e3, 0)} ${units[1]}`;
  if (n < 1e9) return `${num(n / 1e6, 1)} ${units[2]}`;
  return `${num(n / 1e9, 2)} ${units[3]}`;
}

// text is the page's text data-msg-NAME of el, its %s and %d replaced by
// args in turn.
function text(el, name, args) {
  let i = 0;
  return (el.getAttribute(`data-msg-${name}`) || name).replace(/%([sd%])/g, (m, v) => (v === "%" ? "%" : String(args[i++])));
}
