extension WebAsset {
    /// `GET /client.js`: the Tauri plugin's API for any browser, as an ES module.
    static let clientModule = WebAsset(
        contentType: "text/javascript; charset=utf-8",
        text: ##"""
// wsgate's client: the API of @tauri-apps/plugin-websocket for any browser, over the gateway's
// HTTP API. Code written for the plugin runs unchanged after one import:
//
//   import WebSocket from "http://127.0.0.1:8787/client.js";
//
// Every connection of the page receives its events over one multiplexed stream, GET /events,
// which resumes after a drop from the last event seen: nothing is lost, nothing repeated.

/** Where the gateway is, and how to authenticate; change them with `configure`. */
const settings = { gateway: new URL(import.meta.url).origin, token: undefined };

/** Sets the gateway's URL (default: where this module was loaded from) and its bearer token (`null` for none). */
export function configure({ gateway, token } = {}) {
  if (gateway !== undefined) settings.gateway = String(gateway).replace(/\/+$/, "");
  if (token !== undefined) settings.token = token;
}

/** A refusal by the gateway: its HTTP `status` and the API's error `code` and `message`. */
export class GatewayError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "GatewayError";
    this.status = status;
    this.code = code;
  }
}

/** A request to the gateway; resolves to the response, or rejects with a GatewayError. */
async function request(method, path, { body, contentType, headers = {}, signal } = {}) {
  const allHeaders = { ...headers };
  if (contentType) allHeaders["Content-Type"] = contentType;
  if (settings.token) allHeaders["Authorization"] = `Bearer ${settings.token}`;
  let response;
  try {
    response = await fetch(settings.gateway + path, { method, headers: allHeaders, body, signal, cache: "no-store" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new GatewayError(0, "gateway_unreachable", `The gateway at ${settings.gateway} cannot be reached (${error.message}).`);
  }
  if (!response.ok) {
    let code = `http_${response.status}`;
    let message = `${method} ${path} was answered ${response.status} ${response.statusText}.`;
    try {
      const answer = await response.json();
      code = answer.error.code;
      message = answer.error.message;
    } catch {
      // Not the API's JSON error (a proxy's page, say): the status says what is known.
    }
    throw new GatewayError(response.status, code, message);
  }
  return response;
}

/**
 * The page's one event stream for all its connections. A connection joins when its first
 * listener is added; until then the gateway keeps its events. Joining, or a dropped stream,
 * reopens the stream with every member's cursor, so each resumes exactly after its last event.
 */
class MultiplexedStream {
  constructor() {
    /** @type {Map<string, {cursor: number, deliver: (event: object) => void}>} */
    this.members = new Map();
    this.controller = undefined;
    this.reopenScheduled = false;
    this.failures = 0;
  }

  /** Adds a connection; `deliver` gets its events: `{data}`, `{gap}` or `{gone: true}`. */
  join(id, deliver) {
    this.members.set(id, { cursor: 0, deliver });
    this.scheduleReopen(0);
  }

  /** Removes a connection whose events have ended. */
  leave(id) {
    this.members.delete(id);
  }

  /** Reopens the stream soon; joins in one tick share one reopening. */
  scheduleReopen(delay) {
    if (this.reopenScheduled) return;
    this.reopenScheduled = true;
    setTimeout(() => {
      this.reopenScheduled = false;
      this.open();
    }, delay);
  }

  /** Opens the stream for the current members, after closing the one open. */
  async open() {
    this.controller?.abort();
    if (this.members.size === 0) return;
    const controller = new AbortController();
    this.controller = controller;
    const ids = [...this.members.keys()];
    const cursor = ids.map((id) => this.members.get(id).cursor).join(",");
    try {
      const response = await request("GET", `/events?connections=${ids.map(encodeURIComponent).join(",")}`, {
        headers: { "Last-Event-ID": cursor, Accept: "text/event-stream" },
        signal: controller.signal,
      });
      const delivered = await this.read(response.body, controller.signal);
      // A stream that ended without an event backs off, as one that failed does.
      this.failures = delivered ? 0 : this.failures + 1;
    } catch (error) {
      if (controller.signal.aborted) return;
      if (error instanceof GatewayError && error.status >= 400 && error.status < 500) {
        // The gateway refuses the stream itself (a token, say): each connection hears why.
        for (const member of this.members.values()) member.deliver({ data: `${error.message} (${error.code})` });
        this.members.clear();
        return;
      }
      this.failures += 1;
    }
    if (controller.signal.aborted) return;
    // The stream ended or dropped: resume, backing off while the gateway stays away.
    this.scheduleReopen(this.failures === 0 ? 0 : Math.min(3000, 100 * 2 ** this.failures));
  }

  /** Reads the stream's records until it ends, handing each to its connection; returns whether any came. */
  async read(body, signal) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let delivered = false;
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      let end;
      while ((end = text.indexOf("\n\n")) >= 0 && !signal.aborted) {
        delivered = this.dispatch(text.slice(0, end)) || delivered;
        text = text.slice(end + 2);
      }
    }
    return delivered;
  }

  /** Hands one record to its connection, moving that connection's cursor; returns whether it was an event. */
  dispatch(record) {
    let name = "message";
    let data;
    for (const line of record.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data = line.slice(6);
    }
    if (data === undefined) return false; // a comment, such as a keepalive
    const event = JSON.parse(data);
    const member = this.members.get(event.connection);
    if (!member) return true;
    if (name === "gone") {
      this.members.delete(event.connection);
      member.deliver({ gone: true });
      return true;
    }
    if (event.id !== undefined) member.cursor = event.id;
    member.deliver(name === "gap" ? { gap: event.data } : { data: event.data });
    return true;
  }
}

const stream = new MultiplexedStream();

/** A message the plugin's `send` takes, as the body of POST /connections/<id>/send. */
function sendBody(message) {
  if (message instanceof ArrayBuffer || ArrayBuffer.isView(message)) {
    const bytes = message instanceof ArrayBuffer ? message : message.buffer.slice(message.byteOffset, message.byteOffset + message.byteLength);
    return { body: bytes, contentType: "application/octet-stream" };
  }
  let shaped;
  if (typeof message === "string") {
    shaped = { type: "Text", data: message };
  } else if (typeof message === "object" && message !== null && "type" in message) {
    shaped = ArrayBuffer.isView(message.data) ? { type: message.type, data: Array.from(message.data) } : message;
  } else if (Array.isArray(message)) {
    shaped = { type: "Binary", data: message };
  } else {
    throw new Error("invalid `message` type, expected a `{ type: string, data: any }` object, a string or a numeric array");
  }
  return { body: JSON.stringify(shaped), contentType: "application/json" };
}

/** An upstream WebSocket held by the gateway, with the plugin's API. */
export default class WebSocket {
  /** The gateway's id of the connection. */
  id;
  #listeners = new Set();
  #joined = false;

  constructor(id) {
    this.id = id;
  }

  /** Opens `url` through the gateway; rejects with a GatewayError that says why it could not. */
  static async connect(url, config) {
    const body = { url };
    if (config) {
      body.config = { ...config };
      // As the plugin does: headers pass through `new Headers(…)`.
      if (config.headers) body.config.headers = Array.from(new Headers(config.headers).entries());
    }
    const response = await request("POST", "/connections", { body: JSON.stringify(body), contentType: "application/json" });
    const { id } = await response.json();
    return new WebSocket(id);
  }

  /**
   * Calls `cb` with every message (and error string); returns what removes it. The connection's
   * events start flowing with the first listener, from the first message: until then the
   * gateway keeps them.
   */
  addListener(cb) {
    this.#listeners.add(cb);
    if (!this.#joined) {
      this.#joined = true;
      stream.join(this.id, (event) => this.#receive(event));
    }
    return () => this.#listeners.delete(cb);
  }

  /** Sends a message: a string, a number array, a Uint8Array or ArrayBuffer, or the plugin's Message. */
  async send(message) {
    const { body, contentType } = sendBody(message);
    await request("POST", `/connections/${encodeURIComponent(this.id)}/send`, { body, contentType });
  }

  /**
   * Sends Close 1000, as the plugin does; listeners then get the upstream's Close. (Unlike
   * DELETE, which makes the gateway forget the connection, this keeps its final events for a
   * stream that has yet to read them.)
   */
  async disconnect() {
    await this.send({ type: "Close", data: { code: 1000, reason: "Disconnected by client" } });
  }

  #receive(event) {
    if (event.gone) {
      this.#deliver("The gateway no longer holds this connection (it restarted, or the connection expired).");
      return;
    }
    if (event.gap) {
      this.#deliver(`${event.gap.missed} messages were lost: the gateway no longer held them (first available: ${event.gap.firstAvailable}).`);
      return;
    }
    const message = event.data;
    // A Close, or an error (a bare string), is a connection's last event.
    if (typeof message === "string" || message.type === "Close") stream.leave(this.id);
    this.#deliver(message);
  }

  #deliver(message) {
    for (const listener of [...this.#listeners]) {
      try {
        listener(message);
      } catch (error) {
        console.error("wsgate: a listener threw", error);
      }
    }
  }
}
"""##
    )
}
