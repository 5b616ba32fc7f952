// The first body write of each response to the client, for the preloads that time it (stages.cjs,
// stage-marks.cjs): no diagnostics channel tells it, so the two calls that make it are wrapped.
'use strict';
const { ServerResponse } = require('node:http');

/** Calls `onFirst(res)` at each response's first `write` or `end`, once. */
function onFirstWrite(onFirst) {
  const written = new WeakSet();
  for (const method of ['write', 'end']) {
    const original = ServerResponse.prototype[method];
    ServerResponse.prototype[method] = function (...args) {
      if (!written.has(this)) {
        written.add(this);
        onFirst(this);
      }
      return original.apply(this, args);
    };
  }
}

module.exports = { onFirstWrite };
