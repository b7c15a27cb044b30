import { exitCodeFor, installEndings } from './endings.ts';
import { main, processIo } from './main.ts';

const endings = installEndings();
const code = await main(process.argv.slice(2), processIo(endings));
const cause = endings.cause();
process.exitCode = cause ? exitCodeFor(cause) : code;
