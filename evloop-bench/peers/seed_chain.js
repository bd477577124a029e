// The explanation's program on Node's event loop, run N times at once:
// async functions awaiting setTimeout promises.
//
//   node seed_chain.js 1000000
//
// Prints "metric time_ms <wall ms>" for evloop-bench; exits non-zero if a
// chain returned a wrong result or the run finished faster than the sleeps allow.
'use strict';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function fetchUser(userId) {
  await sleep(100);
  return `User-${userId}`;
}

async function fetchPosts(user) {
  await sleep(150);
  return 'Post-123';
}

async function fetchComments(post) {
  await sleep(200);
  return 'Here are the comments.';
}

async function displayComments(id) {
  const user = await fetchUser(id);
  const posts = await fetchPosts(user);
  const comments = await fetchComments(posts);
  if (user !== `User-${id}` || comments !== 'Here are the comments.') {
    throw new Error(`chain ${id}: wrong result ${user} / ${comments}`);
  }
  return id;
}

async function main() {
  const n = process.argv[2] === undefined ? 1000000 : Number.parseInt(process.argv[2], 10);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`usage: node seed_chain.js [N], got ${process.argv[2]}`);
  }
  const start = performance.now();
  const chains = [];
  for (let i = 0; i < n; i++) {
    chains.push(displayComments(i));
  }
  const ids = await Promise.all(chains);
  const elapsed = performance.now() - start;

  let sum = 0;
  for (const id of ids) sum += id;
  if (sum !== (n * (n - 1)) / 2) {
    throw new Error(`wrong sum ${sum}`);
  }
  if (n > 0 && elapsed < 450) {
    throw new Error(`finished in ${elapsed} ms, before its sleeps could`);
  }
  console.log(`metric time_ms ${elapsed.toFixed(3)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
