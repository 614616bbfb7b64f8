#!/usr/bin/env node
// The `rollgate` command. Sources are TypeScript compiled by `npm run build` (run on install) into dist/.
require('../../../dist/apps/cli/src/main.js').main(process.argv);
