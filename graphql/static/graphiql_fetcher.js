// GraphiQL's fetcher for farmgate: queries and mutations over HTTP POST, subscriptions over
// WebSocket (graphql-transport-ws). Browsers cannot set headers on a WebSocket, so the
// Authorization header of GraphiQL's header editor travels in connection_init instead.
// An Authorization value still holding the template's "<…>" placeholder is not sent: the server
// refuses a malformed token even for public fields.
/* exported farmgateFetcher */
function farmgateFetcher(httpUrl, wsUrl, WebSocketImpl) {
  const WS = WebSocketImpl || globalThis.WebSocket;

  function usableHeaders(headers) {
    const usable = {};
    for (const [name, value] of Object.entries(headers || {})) {
      if (typeof value !== "string") continue;
      if (name.toLowerCase() === "authorization" && value.includes("<")) continue;
      usable[name] = value;
    }
    return usable;
  }

  function operationType(query, operationName) {
    const text = String(query || "").replace(/#[^\n]*/g, "");
    const pattern = /\b(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    let match;
    let first = null;
    while ((match = pattern.exec(text)) !== null) {
      if (first === null) first = match[1];
      if (operationName && match[2] === operationName) return match[1];
    }
    return first || "query";
  }

  function subscribe(params, headers) {
    const queue = [];
    const waiting = [];
    let done = false;
    const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization");
    const socket = new WS(wsUrl, "graphql-transport-ws");

    function push(item) {
      if (done) return;
      if (waiting.length) waiting.shift()({ value: item, done: false });
      else queue.push(item);
    }
    function finish() {
      done = true;
      while (waiting.length) waiting.shift()({ value: undefined, done: true });
    }
    socket.onopen = () => {
      socket.send(JSON.stringify({
        type: "connection_init",
        payload: authorization ? { Authorization: authorization[1] } : {},
      }));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: params }));
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        push(message.payload);
      } else if (message.type === "error") {
        push({ errors: message.payload });
        finish();
      } else if (message.type === "complete") {
        finish();
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4401) {
        push({ errors: [{ message: "Your token expired", extensions: { code: "UNAUTHENTICATED" } }] });
      }
      finish();
    };
    return {
      [Symbol.asyncIterator]() { return this; },
      next() {
        if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return() {
        if (socket.readyState === 1) socket.send(JSON.stringify({ id: "1", type: "complete" }));
        socket.close(1000);
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  return function fetcher(params, options) {
    const headers = usableHeaders(options && options.headers);
    if (operationType(params.query, params.operationName) === "subscription") {
      return subscribe(params, headers);
    }
    return fetch(httpUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
      body: JSON.stringify(params),
    }).then((response) => response.json());
  };
}

if (typeof module !== "undefined") module.exports = { farmgateFetcher };
