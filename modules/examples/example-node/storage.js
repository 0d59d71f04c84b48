'use strict';
// example-node: a homeboy storage module in Node.js (standard library only), persistent:
// one process serves every event of a homeboy run, one JSON line in, one JSON line out.
//
// The storage contract is docs/storage-contract.md; how a module runs, docs/module-authoring.md.
// Every stored path lives under one folder on disk: "/a/b.txt" is "<root>/data/a/b.txt", where
// root is the provider config's "root" (by default "<config folder>/<module id>-store").
// It offers the core contract and batches; no versions (Node's standard library has no file
// lock to make a conditional write one step), text content.
const fs = require('fs');
const path = require('path');
const readline = require('readline');

class Failure extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function providerConfig() {
  const file = process.env.HOMEBOY_STORAGE_CONFIG_FILE;
  return JSON.parse(file ? fs.readFileSync(file, 'utf8') : process.env.HOMEBOY_STORAGE_CONFIG || '{}');
}

const config = providerConfig();
const root = typeof config.root === 'string' ? config.root
  : path.join(process.env.HOMEBOY_CONFIG_DIR, process.env.HOMEBOY_MODULE_ID + '-store');
const data = path.join(root, 'data');
const tmp = path.join(root, 'tmp');
fs.mkdirSync(data, { recursive: true, mode: 0o700 });
fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
let temps = 0;

function codeOf(error) {
  return { ENOENT: 'not_found', ENOTDIR: 'not_found', EACCES: 'permission_denied', EPERM: 'permission_denied',
    EISDIR: 'invalid_argument' }[error.code] || 'io_error';
}

function statOf(file) {
  try {
    return fs.lstatSync(file);
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  }
}

const operations = {
  read(p, file) {
    const st = statOf(file);
    if (!st) throw new Failure('not_found', 'no such file: ' + p);
    if (st.isDirectory()) throw new Failure('invalid_argument', 'is a folder, not a file: ' + p);
    if (!st.isFile()) throw new Failure('invalid_argument', 'is not a regular file: ' + p);
    return { success: true, data: fs.readFileSync(file, 'utf8') };
  },
  write(p, file, event) {
    if (typeof event.content !== 'string') throw new Failure('invalid_argument', 'write needs a content');
    const parent = statOf(path.dirname(file));
    if (!parent || !parent.isDirectory()) throw new Failure('not_found', 'folder does not exist: ' + path.dirname(p));
    const st = statOf(file);
    if (st && st.isDirectory()) throw new Failure('invalid_argument', 'is a folder, not a file: ' + p);
    // Written whole, then renamed into place: a reader sees the old or the new content. The
    // temp name is this process's own, so concurrent writers never collide on it.
    const temp = path.join(tmp, process.pid + '-' + temps++);
    try {
      fs.writeFileSync(temp, event.content, { encoding: 'utf8', mode: 0o600 });
      fs.renameSync(temp, file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw error;
    }
    return { success: true };
  },
  list(p, file) {
    const st = statOf(file);
    if (!st) return { success: true, entries: [] };
    if (!st.isDirectory()) throw new Failure('invalid_argument', 'is a file, not a folder: ' + p);
    const prefix = p === '/' ? '' : p;
    return { success: true, entries: fs.readdirSync(file, { withFileTypes: true }).map(
      (entry) => ({ path: prefix + '/' + entry.name, is_directory: entry.isDirectory() })) };  // any order: the host sorts
  },
  delete(p, file, event) {
    const st = statOf(file);
    if (!st) throw new Failure('not_found', 'no such file or folder: ' + p);
    if (st.isDirectory()) {
      if (event.is_directory !== true) {
        throw new Failure('invalid_argument', 'is a folder: ' + p + ' (delete it with its contents: is_directory)');
      }
      if (p === '/') throw new Failure('invalid_argument', 'refusing to delete the root folder');
      fs.rmSync(file, { recursive: true });
    } else {
      fs.unlinkSync(file);  // a file, with or without is_directory
    }
    return { success: true };
  },
  ensure_dir(p, file) {
    for (let at = file; at.length > data.length; at = path.dirname(at)) {  // a file in the way, here or above
      const st = statOf(at);
      if (st && !st.isDirectory()) throw new Failure('conflict', 'a file is in the way: ' + p);
    }
    fs.mkdirSync(file, { recursive: true });
    return { success: true };
  },
  batch(p, file, event) {
    if (!Array.isArray(event.operations)) throw new Failure('invalid_argument', 'batch needs an operations array');
    const results = event.operations.map(answer);  // strictly in order
    return { success: true, results, overall_success: results.every((r) => r.success) };
  },
};

// The response to one event; every failure is an answer, never an exception.
function answer(event) {
  try {
    if (typeof event !== 'object' || event === null) throw new Failure('invalid_argument', 'an event must be an object');
    const operation = operations[event.operation];
    if (!Object.prototype.hasOwnProperty.call(operations, event.operation)) {
      throw new Failure('unsupported', 'unknown operation: ' + event.operation);
    }
    const p = event.path;
    if (event.operation !== 'batch' && (typeof p !== 'string' || !p.startsWith('/'))) {
      throw new Failure('invalid_argument', 'path must be absolute: ' + p);
    }
    // The host sends normalized paths: no "." or "..", no trailing slash.
    return operation(p, event.operation === 'batch' ? null : data + (p === '/' ? '' : p), event);
  } catch (error) {
    if (error instanceof Failure) return { success: false, error: error.message, error_code: error.code };
    return { success: false, error: String(error.message), error_code: codeOf(error) };
  }
}

if (process.argv.includes('--storage-serve')) {
  // Persistent: one request per line, each answer echoing its "id"; stdin's end means done.
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const request = JSON.parse(line);
    const response = answer(request);
    response.id = request.id;
    process.stdout.write(JSON.stringify(response) + '\n');
  });
  lines.on('close', () => process.exit(0));
} else {
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify(answer(JSON.parse(Buffer.concat(chunks).toString('utf8')))) + '\n');
  });
}
