#!/usr/bin/env node
// The installed command (package.json "bin"): loads the TypeScript command line through tsx, from this checkout's own
// node_modules, whatever the working directory. No banner: stdout carries only the command's own output.
import { register } from 'tsx/esm/api';

register();
await import('./bin.ts');
