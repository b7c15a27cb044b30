// Preloaded (node --import) by the terminal tests: throws an uncaught error shortly after the approval prompt appears,
// as a bug in the command line would, to check that such an ending still rolls back and releases the lock.
const write = process.stderr.write.bind(process.stderr);
let armed = true;
process.stderr.write = (chunk, ...rest) => {
  if (armed && String(chunk).includes('Approve remediation')) {
    armed = false;
    setTimeout(() => {
      throw new Error('a bug in the command line');
    }, 100);
  }
  return write(chunk, ...rest);
};
