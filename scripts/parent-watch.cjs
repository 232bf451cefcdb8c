// Preloaded into the notebook kernel (node --require): exit when the process that started the
// kernel dies, so a killed `make reports` never leaves an orphaned kernel behind.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000);
timer.unref();
