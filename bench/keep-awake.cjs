// A diagnostic for loopback benchmarks, not part of the gateway: loaded into any Node HTTP server
// (ours, the bare proxy, Portkey) with NODE_OPTIONS=--require=<this file>, it keeps the server's
// event loop polling instead of sleeping for KEEP_AWAKE_US (default 1000) after each request
// arrives and after each response ends.
//
// Why: one request at a time, a proxy's core falls idle twice per request (waiting for the
// upstream, waiting for the client's next request), and on this VM a core woken from idle costs
// ~0.06 ms each time. That cost is the machine's, the same for every gateway, and it is most of
// what separates the bare proxy from zero. With the loop kept awake, what is left is each
// gateway's own work. The price is CPU (the loop spins for the window), which is why this is a
// measuring aid and not a setting of the gateway.
'use strict';
const { isMainThread } = require('node:worker_threads');
const http = require('node:http');

if (isMainThread) {
  const windowMs = Number(process.env.KEEP_AWAKE_US || 1000) / 1000;
  let until = 0;
  let polling = false;
  // A pending setImmediate makes libuv poll with a zero timeout: the loop never blocks.
  const poll = () => {
    if (performance.now() < until) setImmediate(poll);
    else polling = false;
  };
  const stayAwake = () => {
    until = performance.now() + windowMs;
    if (!polling) {
      polling = true;
      setImmediate(poll);
    }
  };
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, res) {
    if (event === 'request') {
      stayAwake();
      res.once('finish', stayAwake);
    }
    return emit.apply(this, arguments);
  };
}
