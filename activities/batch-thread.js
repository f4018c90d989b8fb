// Worker-thread entry for the batch pool. Plain CommonJS so a thread can start it from any host (the worker, a test
// runner, the CLI); it registers tsx to load the TypeScript module that does the work.
'use strict';
require('tsx/cjs');
module.exports = require('./batch-thread.ts').runBatchTask;
