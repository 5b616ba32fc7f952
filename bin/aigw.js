#!/usr/bin/env node
// The `aigw` command. The CLI is TypeScript; tsx compiles it on the fly, so there is no build step.
'use strict';
require('tsx/cjs');
require('./aigw.ts');
