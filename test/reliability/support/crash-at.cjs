// Test fault injection: kills its own worker process with SIGKILL — a real `kill -9` — the moment the pipeline
// publishes the Nth event of a kind (activities/telemetry.ts), which no real part can be told to do at a precise
// point. Loaded into a worker process through NODE_OPTIONS=--require, so it runs in every thread, each counting its
// own events. REPLAYLAKE_TEST_CRASH_AT=<event>:<n>[:<field>], e.g. session_exported:3, or batch_checkpoint:1:in_session
// to count only the events whose <field> is set.
'use strict';
const { subscribe } = require('node:diagnostics_channel');

const spec = process.env.REPLAYLAKE_TEST_CRASH_AT;
if (spec) {
  const [event, nth, field] = spec.split(':');
  let seen = 0;
  subscribe('replaylake', (message) => {
    if (!message || message.event !== event || (field && message[field] == null)) return;
    if (++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');
  });
}
