extension WebAsset {
    /// `GET /`: a page for a person trying the gateway, built on `client.js`, with no build step.
    static let consolePage = WebAsset(
        contentType: "text/html; charset=utf-8",
        text: ##"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wsgate console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; } h2 { font-size: 1rem; margin: 0 0 .5rem; }
  section { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
  input, select, textarea, button { font: inherit; padding: .3rem .5rem; border: 1px solid #b9c0cc; border-radius: 4px; }
  textarea { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; }
  button { background: #2457d6; color: #fff; border-color: #2457d6; cursor: pointer; }
  button.secondary { background: #fff; color: #2457d6; }
  .row { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .4rem 0; }
  .grow { flex: 1; min-width: 12rem; }
  .error { color: #b3261e; } .muted { color: #667085; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e4e7ec; }
  .log { height: 14rem; overflow-y: auto; background: #10141c; color: #d9e1ee; font: 12px ui-monospace, monospace; padding: .5rem; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
  .log .in { color: #9ad0ff; } .log .out { color: #b7f5b0; } .log .err { color: #ff9b94; } .log .meta { color: #f3d27a; }
</style>
</head>
<body>
<h1>wsgate console</h1>
<section>
  <h2>Connect</h2>
  <div class="row"><input id="url" class="grow" placeholder="wss://example.org/feed" aria-label="WebSocket URL">
    <button id="connect">Connect</button></div>
  <div class="row"><input id="token" class="grow" type="password" placeholder="bearer token, if the gateway has one"
    aria-label="Bearer token" autocomplete="off"></div>
  <textarea id="config" rows="3" aria-label="ConnectionConfig as JSON" placeholder='{"headers": {"X-Key": "k"}, "maxMessageSize": "none"}'></textarea>
  <div id="connect-error" class="error" role="alert"></div>
</section>
<section>
  <h2>Connections on this gateway</h2>
  <table><thead><tr><th>id</th><th>url</th><th>state</th><th>in</th><th>out</th><th>subscribers</th></tr></thead>
    <tbody id="connections"></tbody></table>
</section>
<div id="panels"></div>
<template id="panel">
  <section class="connection">
    <h2 class="title"></h2>
    <div class="log" aria-live="polite"></div>
    <div class="row">
      <select class="send-kind" aria-label="Message type">
        <option value="Text">Text</option><option value="hex">Binary (hex)</option><option value="base64">Binary (base64)</option>
        <option value="Ping">Ping</option><option value="Close">Close</option>
      </select>
      <input class="send-data grow" aria-label="Message">
      <input class="close-code" size="5" value="1000" aria-label="Close code" hidden>
      <button class="send">Send</button>
      <button class="disconnect secondary">Disconnect</button>
    </div>
    <div class="row"><label class="muted"><input type="checkbox" class="base64"> show binary as base64</label></div>
    <div class="send-error error" role="alert"></div>
  </section>
</template>
<script type="module">
import WebSocket, { configure } from "./client.js";

const $ = (selector, root = document) => root.querySelector(selector);
const hex = (bytes) => bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
const base64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromHex = (text) => (text.replace(/\s+/g, "").match(/../g) ?? []).map((pair) => {
  const byte = parseInt(pair, 16);
  if (Number.isNaN(byte)) throw new Error(`"${pair}" is not a hex byte`);
  return byte;
});
const fromBase64 = (text) => Array.from(atob(text.trim()), (c) => c.charCodeAt(0));

function describe(message, asBase64) {
  if (typeof message === "string") return ["err", `error: ${message}`];
  const bytes = (data) => (asBase64 ? `base64 ${base64(data)}` : `hex ${hex(data)}`);
  switch (message.type) {
    case "Text": return ["in", `Text: ${message.data}`];
    case "Binary": return ["in", `Binary (${message.data.length} B): ${bytes(message.data)}`];
    case "Ping": case "Pong": return ["meta", `${message.type}: ${bytes(message.data)}`];
    case "Close": return ["meta", message.data ? `Close ${message.data.code} ${message.data.reason}` : "Close (no code)"];
    default: return ["err", JSON.stringify(message)];
  }
}

function openPanel(ws, url) {
  const panel = $("#panel").content.firstElementChild.cloneNode(true);
  panel.dataset.id = ws.id;
  $(".title", panel).textContent = `${url} · ${ws.id}`;
  const log = $(".log", panel);
  const write = (kind, text) => {
    const line = document.createElement("div");
    line.className = kind;
    line.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
    log.append(line);
    log.scrollTop = log.scrollHeight;
  };
  ws.addListener((message) => write(...describe(message, $(".base64", panel).checked)));
  $(".send-kind", panel).addEventListener("change", (e) => { $(".close-code", panel).hidden = e.target.value !== "Close"; });
  $(".send", panel).addEventListener("click", async () => {
    const kind = $(".send-kind", panel).value;
    const text = $(".send-data", panel).value;
    $(".send-error", panel).textContent = "";
    try {
      let message;
      if (kind === "Text") message = text;
      else if (kind === "hex") message = { type: "Binary", data: fromHex(text) };
      else if (kind === "base64") message = { type: "Binary", data: fromBase64(text) };
      else if (kind === "Ping") message = { type: "Ping", data: Array.from(new TextEncoder().encode(text)) };
      else message = { type: "Close", data: { code: Number($(".close-code", panel).value), reason: text } };
      await ws.send(message);
      write("out", `sent ${typeof message === "string" ? `Text: ${message}` : describe(message, kind === "base64")[1]}`);
    } catch (error) {
      $(".send-error", panel).textContent = `${error.code ?? "error"}: ${error.message}`;
    }
  });
  $(".disconnect", panel).addEventListener("click", async () => {
    try { await ws.disconnect(); write("out", "disconnected"); }
    catch (error) { $(".send-error", panel).textContent = `${error.code ?? "error"}: ${error.message}`; }
  });
  $("#panels").prepend(panel);
}

// The token is kept for this tab only.
$("#token").value = sessionStorage.getItem("wsgate-token") ?? "";
const useToken = () => {
  sessionStorage.setItem("wsgate-token", $("#token").value.trim());
  configure({ token: $("#token").value.trim() || null });
};
useToken();
$("#token").addEventListener("change", useToken);

$("#connect").addEventListener("click", async () => {
  const url = $("#url").value.trim();
  $("#connect-error").textContent = "";
  try {
    const configText = $("#config").value.trim();
    const config = configText ? JSON.parse(configText) : undefined;
    openPanel(await WebSocket.connect(url, config), url);
  } catch (error) {
    $("#connect-error").textContent = `${error.code ?? "error"}${error.status ? ` (${error.status})` : ""}: ${error.message}`;
  }
});

async function refresh() {
  try {
    const token = $("#token").value.trim();
    const response = await fetch("./connections", { cache: "no-store", headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (response.status === 401) $("#connect-error").textContent = "This gateway needs its token: enter it above.";
    const { connections } = await response.json();
    const rows = connections.map((info) => {
      const row = document.createElement("tr");
      for (const value of [info.id, info.url, info.state, info.messagesIn, info.messagesOut, info.subscribers]) {
        const cell = document.createElement("td");
        cell.textContent = value ?? "";
        row.append(cell);
      }
      return row;
    });
    $("#connections").replaceChildren(...rows);
  } catch {
    // The gateway is away for a moment: the list keeps its last state.
  }
  setTimeout(refresh, 1000);
}
refresh();
</script>
</body>
</html>
"""##
    )
}
