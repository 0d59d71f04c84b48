"""sqlite-storage: homeboy storage in one SQLite database (Python standard library only).

One-shot (--storage-operation): one JSON event on stdin, one JSON response on stdout.
Persistent (--storage-serve): one event per stdin line, one response per stdout line,
each echoing the request's "id"; exits at end of input.
Daemon (--storage-daemon): the same lines over Unix socket connections, accepted on the
listening socket homeboy passes as fd 3; see serve_daemon().

The database lives at storage_provider.config.database_path; a relative path is taken
under homeboy's config folder. Folders are real rows: ensure_dir records a folder and its
parents, write needs its parent folder, list returns immediate children only.

Paths under homeboy's config folder (HOMEBOY_CONFIG_DIR) are stored relative to it, as
"~/...", so that several config folders (hosts, users) whose database_path names one
database file share one config; any other path is stored as it is. "/" and "~" are roots:
always folders, never stored. A database from before this layout has the rows under a
config folder converted the first time that folder opens it (see adopt_config_folder).

Content is bytes (a BLOB): text arrives as "content", anything else as "content_base64",
and goes back as "data" or "data_base64". Every write takes the next number of a counter
as the row's version, so conditional writes (if_version, if_absent), deletes and checks are
checked and applied in one transaction. A batch is one transaction, all or nothing: when a
change or a check fails, nothing of the batch remains and the answer says which operation
failed. Every event and batch runs under BEGIN IMMEDIATE, which lets one writer at a time
in: batches are serializable, whoever else uses the file (docs/backends/sqlite.md).
"""
import base64
import errno
import json
import os
import random
import selectors
import socket
import sqlite3
import struct
import sys
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    path TEXT PRIMARY KEY,
    parent TEXT NOT NULL,
    is_directory INTEGER NOT NULL,
    version INTEGER,
    content BLOB
);
CREATE INDEX IF NOT EXISTS entries_parent ON entries(parent, path);
CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT OR IGNORE INTO counter VALUES (1, 0);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Raw framing (daemon connections, which offer it in their hello): a write's content arrives
# as bytes after a line {"content_length": N, ...}, and a read's data goes back as bytes after
# {"data_length": N, ...}. These keys mark such an event and answer; JSON cannot make them.
RAW_CONTENT = ("raw", "content")
RAW_DATA = ("raw", "data")
CONTENT_LENGTH = b'{"content_length":'

# A batch stands or falls with these: when one fails, none of the batch remains.
DECIDING = ("write", "delete", "ensure_dir", "check")
CONTENT_LIMIT = 256 << 20  # the host's limit: larger content is refused with too_large
STREAMED_CONTENT = 1 << 20  # content from this size on is written into its blob in place


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def provider_config():
    # The host hands the config over in a file when it can (no size limit), else inline.
    path = os.environ.get("HOMEBOY_STORAGE_CONFIG_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return json.loads(os.environ.get("HOMEBOY_STORAGE_CONFIG") or "{}")


def durability():
    """What an acknowledgement promises: "power_loss" (the default) or "process_crash"."""
    chosen = provider_config().get("durability", "power_loss")
    if chosen not in ("power_loss", "process_crash"):
        raise Failure("invalid_argument", 'config durability must be "power_loss" or "process_crash", not %r' % (chosen,))
    return chosen


def database_path():
    path = provider_config().get("database_path", "storage.db")
    if not isinstance(path, str) or not path:
        raise Failure("invalid_argument", "config database_path must be a non-empty string")
    if not os.path.isabs(path):
        base = os.environ.get("HOMEBOY_CONFIG_DIR") or os.getcwd()
        path = os.path.join(base, path)
    return path


class Keys:
    """Where a path is stored: under the config folder as "~/...", anywhere else as it is."""

    def __init__(self, config_dir):
        folder = os.path.normpath(config_dir) if config_dir and config_dir.startswith("/") else ""
        self.config = folder if folder != "/" else ""  # "/" would take every path: no mapping then

    def key(self, path):
        if self.config and (path == self.config or path.startswith(self.config + "/")):
            return "~" + path[len(self.config):]
        return path

    def path(self, key):
        return self.config + key[1:] if key.startswith("~") else key


KEYS = Keys(os.environ.get("HOMEBOY_CONFIG_DIR"))


def is_root(key):
    return key in ("/", "~")


def adopt_config_folder(db):
    """Moves the rows an earlier version kept under this config folder's absolute path to
    "~/...", once per config folder: the mark in meta says it is done. BEGIN IMMEDIATE lets
    one process in at a time, so of two opening the database at once the second finds the
    mark. A row whose "~" name is already taken (another config folder was converted
    first) keeps its old name: UPDATE OR IGNORE never overwrites one with the other."""
    folder = KEYS.config
    mark = "config-relative " + folder
    marked = "SELECT 1 FROM meta WHERE key = ?"
    if not folder or db.execute(marked, (mark,)).fetchone():
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute(marked, (mark,)).fetchone() is None:
            rest = len(folder) + 1  # substr() counts characters from 1, as len() counts them
            db.execute("UPDATE OR IGNORE entries SET path = '~' || substr(path, ?), parent = '~' || substr(parent, ?) "
                       "WHERE path >= ? AND path < ?", (rest, rest, folder + "/", folder + "0"))
            db.execute("DELETE FROM entries WHERE path = ? AND is_directory", (folder,))  # the root "~" now
            db.execute("INSERT INTO meta VALUES (?, '1')", (mark,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def connect():
    path = database_path()
    os.umask(0o077)  # the database (and its -wal and -shm files) holds secrets: the user's alone
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    # Switching a new database to WAL takes a lock the busy timeout does not wait for: two
    # commands starting on a fresh database at once would see "database is locked". Retry.
    for attempt in range(200):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 199:
                raise
            time.sleep(0.01 + random.random() * 0.04)
    # Durable at acknowledgement: in WAL mode, FULL flushes the log at every commit (one
    # fdatasync per event or batch), so an acknowledged change survives a power loss. The
    # user may choose speed instead ("durability": "process_crash"): NORMAL flushes only at
    # checkpoints, and a power loss may then drop the last commits, never tear one.
    db.execute("PRAGMA synchronous=%s" % ("NORMAL" if durability() == "process_crash" else "FULL"))
    columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "version" not in columns or not {"counter", "meta"} <= tables:
        create_schema(db)
        columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
    if columns[-1] != "content":
        content_last(db)
    adopt_config_folder(db)
    return db


def content_last(db):
    """Moves the content column to the end of each row, once per database (they had it before
    the version): a large write then goes in without a copy of its size (op_write). Every
    statement names its columns, so a daemon from before keeps working on the new table."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if [row[1] for row in db.execute("PRAGMA table_info(entries)")][-1] != "content":
            db.execute("CREATE TABLE entries_content_last (path TEXT PRIMARY KEY, parent TEXT NOT NULL, "
                       "is_directory INTEGER NOT NULL, version INTEGER, content BLOB)")
            db.execute("INSERT INTO entries_content_last(path, parent, is_directory, version, content) "
                       "SELECT path, parent, is_directory, version, content FROM entries")
            db.execute("DROP TABLE entries")
            db.execute("ALTER TABLE entries_content_last RENAME TO entries")
            db.execute("CREATE INDEX IF NOT EXISTS entries_parent ON entries(parent, path)")
        db.execute("COMMIT")
    except BaseException:
        end_transaction(db, False)
        raise


def create_schema(db):
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA.strip().split(";"):
            if statement.strip():
                db.execute(statement)
        # A database from before versions: give every row one, and the counter its maximum.
        if "version" not in [row[1] for row in db.execute("PRAGMA table_info(entries)")]:
            db.execute("ALTER TABLE entries ADD COLUMN version INTEGER")
        db.execute("UPDATE entries SET version = rowid WHERE version IS NULL")
        db.execute("UPDATE counter SET value = max(value, (SELECT coalesce(max(version), 0) FROM entries))")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def normalize(path):
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
        raise Failure("invalid_argument", "path must be absolute: %r" % (path,))
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def parent_of(path):
    head = path.rsplit("/", 1)[0]
    return head or "/"


def row_of(db, key):
    """(is_directory, version) of the row at key, or None. The roots are always folders."""
    if is_root(key):
        return (True, None)
    row = db.execute("SELECT is_directory, version FROM entries WHERE path = ?", (key,)).fetchone()
    return None if row is None else (bool(row[0]), row[1])


def kind(db, path):
    """None when missing, else True for a folder, False for a file."""
    row = row_of(db, path)
    return None if row is None else row[0]


def next_version(db):
    return db.execute("UPDATE counter SET value = value + 1 WHERE id = 1 RETURNING value").fetchone()[0]


def wanted_version(event):
    """The version a condition names, or None. One that is not UTF-8 (if_version_base64) is
    none this module hands out (they are numbers): kept as it came, it matches nothing."""
    if event.get("if_version_base64") is not None:
        return "base64:%s" % event["if_version_base64"]
    wanted = event.get("if_version")
    return None if wanted is None else str(wanted)


def check_version(event, path, row):
    wanted = wanted_version(event)
    if wanted is None:
        return
    if row is None:
        raise Failure("conflict", "was deleted since version %s: %s" % (wanted, path))
    if str(row[1]) != wanted:
        raise Failure("conflict", "changed since version %s (now %s): %s" % (wanted, row[1], path))


def content_of(event):
    if RAW_CONTENT in event:  # the bytes that followed the request line (raw framing)
        return event.pop(RAW_CONTENT)
    if "content_base64" in event:
        try:
            return base64.b64decode(event["content_base64"], validate=True)
        except (TypeError, ValueError):
            raise Failure("invalid_argument", "content_base64 is not valid base64")
    # Taken out of the event: once encoded, the text is gone, and a large write is held as
    # its bytes alone (docs/performance.md).
    content = event.pop("content", None)
    if not isinstance(content, str):
        raise Failure("invalid_argument", "write needs a string content")
    try:
        return content.encode("utf-8")
    except UnicodeEncodeError:
        raise Failure("invalid_argument", "content is not valid Unicode text")


def op_read(db, key, event):
    path = KEYS.path(key)
    if is_root(key):
        raise Failure("invalid_argument", "is a folder, not a file: " + path)
    row = db.execute("SELECT is_directory, length(content), version, rowid, typeof(content) FROM entries WHERE path = ?",
                     (key,)).fetchone()
    if row is None:
        raise Failure("not_found", "no such file: " + path)
    if row[0]:
        raise Failure("invalid_argument", "is a folder, not a file: " + path)
    if row[1] is not None and row[1] > CONTENT_LIMIT:
        raise Failure("too_large", "%s is %d bytes; the limit is %d" % (path, row[1], CONTENT_LIMIT))
    if row[4] == "blob" and row[1] >= STREAMED_CONTENT and hasattr(db, "blobopen"):
        # Read from its blob straight into one bytes object: selecting it would hold it twice.
        version = row[2]
        with db.blobopen("entries", "content", row[3], readonly=True) as blob:
            content = blob.read()
    else:
        content, version = db.execute("SELECT content, version FROM entries WHERE path = ?", (key,)).fetchone()
    if content is None:
        content = b""
    if isinstance(content, str):  # a row written before content became bytes
        content = content.encode("utf-8")
    if event.get(RAW_DATA):  # goes after the answer line as it is (raw framing)
        return {"success": True, "version": str(version), RAW_DATA: content}
    try:
        return {"success": True, "data": content.decode("utf-8"), "version": str(version)}
    except UnicodeDecodeError:
        return {"success": True, "data_base64": base64.b64encode(content).decode("ascii"), "version": str(version)}


def op_write(db, key, event):
    path = KEYS.path(key)
    content = content_of(event)
    parent = parent_of(key)
    if kind(db, parent) is not True:
        raise Failure("not_found", "folder does not exist: " + KEYS.path(parent))
    row = row_of(db, key)
    if row is not None and row[0]:
        raise Failure("invalid_argument", "is a folder, not a file: " + path)
    if event.get("if_absent") is True and row is not None:
        raise Failure("conflict", "already exists: " + path)
    check_version(event, path, row)
    version = next_version(db)
    upsert = ("INSERT INTO entries(path, parent, is_directory, content, version) VALUES (?, ?, 0, %s, ?) "
              "ON CONFLICT(path) DO UPDATE SET content = excluded.content, version = excluded.version")
    if len(content) < STREAMED_CONTENT or not hasattr(db, "blobopen"):
        db.execute(upsert % "?", (key, parent, content, version))
    else:
        # A large content goes into a blob of its size, written in place: binding it would
        # copy it twice (sqlite's copy of the bound value, then the row it builds). The empty
        # blob costs nothing as the row's last column (see content_last).
        db.execute(upsert % "zeroblob(?)", (key, parent, len(content), version))
        rowid = db.execute("SELECT rowid FROM entries WHERE path = ?", (key,)).fetchone()[0]
        with db.blobopen("entries", "content", rowid) as blob:
            blob.write(content)
    return {"success": True, "version": str(version)}


def op_list(db, key, event):
    if kind(db, key) is False:
        raise Failure("invalid_argument", "is a file, not a folder: " + KEYS.path(key))
    rows = db.execute("SELECT path, is_directory FROM entries WHERE parent = ? AND path != '/'", (key,)).fetchall()
    return {"success": True, "entries": [{"path": KEYS.path(p), "is_directory": bool(d)} for p, d in rows]}


def op_delete(db, key, event):
    path = KEYS.path(key)
    if key == "~":
        raise Failure("invalid_argument", "refusing to delete homeboy's config folder %s: every config folder "
                                          "using this database shares it" % path)
    if key == "/":
        raise Failure("invalid_argument", "refusing to delete the root folder")
    row = row_of(db, key)
    if row is None:
        raise Failure("not_found", "no such file or folder: " + path)
    if row[0]:
        if event.get("is_directory") is not True:
            raise Failure("invalid_argument",
                          "is a folder: %s (delete it with its contents: is_directory, or --recursive)" % path)
        if wanted_version(event) is not None:
            raise Failure("invalid_argument", "a folder has no version: " + path)
        # Descendants share the prefix "key/": a range on the primary key finds them all,
        # and only them ("/a/bc" is not under "/a/b").
        db.execute("DELETE FROM entries WHERE path = ? OR (path >= ? AND path < ?)", (key, key + "/", key + "0"))
    else:
        check_version(event, path, row)
        db.execute("DELETE FROM entries WHERE path = ?", (key,))
    return {"success": True}


def op_ensure_dir(db, key, event):
    missing = []
    current = key
    while not is_root(current):
        what = kind(db, current)
        if what is True:
            break
        if what is False:
            raise Failure("conflict", "a file is in the way: " + KEYS.path(current))
        missing.append(current)
        current = parent_of(current)
    for folder in reversed(missing):
        db.execute("INSERT INTO entries(path, parent, is_directory, content, version) VALUES (?, ?, 1, NULL, ?)",
                   (folder, parent_of(folder), next_version(db)))
    return {"success": True}


def op_check(db, key, event):
    """Changes nothing: succeeds while the condition holds, else conflict."""
    path = KEYS.path(key)
    row = row_of(db, key)
    if event.get("if_absent") is True:
        if row is not None:
            raise Failure("conflict", "exists: " + path)
        return {"success": True}
    wanted = wanted_version(event)
    if wanted is None:
        raise Failure("invalid_argument", "a check needs a condition (if_version or if_absent): " + path)
    if row is None:
        raise Failure("conflict", "does not exist (the check wants version %s): %s" % (wanted, path))
    if row[0]:
        raise Failure("conflict", "is a folder, which has no version: " + path)
    check_version(event, path, row)
    return {"success": True}


OPERATIONS = {"read": op_read, "write": op_write, "list": op_list, "delete": op_delete, "ensure_dir": op_ensure_dir,
              "check": op_check}


def failure_of(error):
    """A database or OS error as a failed result: a full disk (SQLITE_FULL, ENOSPC, EDQUOT) is
    no_space, whatever sqlite's message says; anything else io_error."""
    full = (getattr(error, "sqlite_errorcode", None) == getattr(sqlite3, "SQLITE_FULL", 13)
            or getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            or "database or disk is full" in str(error))
    return {"success": False, "error": "database error: %s" % error, "error_code": "no_space" if full else "io_error"}


def end_transaction(db, commit):
    """COMMIT or ROLLBACK the transaction still open: sqlite rolls one back on its own after some
    errors (a full disk among them), and a ROLLBACK then would only hide the first error."""
    if db.in_transaction:
        db.execute("COMMIT" if commit else "ROLLBACK")


def run_one(db, event):
    try:
        if not isinstance(event, dict):
            raise Failure("invalid_argument", "an event must be an object")
        operation = OPERATIONS.get(event.get("operation"))
        if operation is None:
            raise Failure("unsupported", "unknown operation: %r" % (event.get("operation"),))
        return operation(db, KEYS.key(normalize(event.get("path"))), event)
    except Failure as failure:
        return {"success": False, "error": str(failure), "error_code": failure.code}
    except (sqlite3.Error, OSError) as error:
        return failure_of(error)


def aborted(message):
    return {"success": False, "error": message, "error_code": "aborted"}


def run_batch(db, operations):
    """All or nothing: the first change or check that fails rolls the whole batch back."""
    results = []
    failed_at = None
    for index, op in enumerate(operations):
        if failed_at is not None:
            results.append(aborted("not run: operation %d of the batch failed, so none of it was applied" % failed_at))
            continue
        result = run_one(db, op)
        results.append(result)
        if not result["success"] and isinstance(op, dict) and op.get("operation") in DECIDING:
            failed_at = index + 1
    if failed_at is None:
        return results, True
    for index, (op, result) in enumerate(zip(operations, results)):
        if index + 1 < failed_at and result["success"] and op.get("operation") in DECIDING:
            results[index] = aborted("rolled back: operation %d of the batch failed, so none of it was applied"
                                     % failed_at)
    return results, False


def handle(db, event):
    if isinstance(event, dict) and event.get("operation") == "batch":
        operations = event.get("operations")
        if not isinstance(operations, list):
            return {"success": False, "error": "batch needs an operations array", "error_code": "invalid_argument"}
        db.execute("BEGIN IMMEDIATE")  # the whole batch in one transaction
        try:
            results, commit = run_batch(db, operations)
            end_transaction(db, commit)
        except BaseException:
            end_transaction(db, False)
            raise
        return {"success": True, "results": results, "overall_success": all(r["success"] for r in results)}
    db.execute("BEGIN IMMEDIATE")
    try:
        response = run_one(db, event)
        end_transaction(db, True)
    except BaseException:
        end_transaction(db, False)
        raise
    return response


def answer(response, out):
    out.write(json.dumps(response, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")
    out.flush()


def peer_uid(conn):
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def file_identity(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def serve_daemon(db):
    """Serves every connection on the listening socket homeboy passes as fd 3.

    homeboy's supervisor runs this process, stops it when it has been idle, and kills it
    when homeboy asks; so the loop never ends on its own. Each connection first gets the
    hello line, then one response per request line. Connections are served side by side
    (one request at a time, in the order they come), so one slow command does not stop
    the others; a connection from another user is closed at once.
    """
    listener = socket.socket(fileno=3)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers = {}
    path = database_path()
    opened = file_identity(path)

    contents = {}  # connection -> [request line, its content's buffer, bytes in it so far]

    def serve(conn, line, content=None):
        nonlocal db, opened
        # A database removed or replaced since (a config folder made anew) is opened again,
        # or the writes would go to a file nobody sees.
        if file_identity(path) != opened:
            db.close()
            try:
                db = connect()
            except (sqlite3.Error, OSError, ValueError, Failure) as error:
                print("sqlite-storage: cannot open the database again: %s" % error, file=sys.stderr)
                sys.exit(1)
            opened = file_identity(path)
        holder = [line.decode("utf-8")]
        del line  # the text alone is held now, and serve_line lets it go once parsed
        for piece in serve_line(db, holder, content):
            conn.sendall(piece)

    def drop(conn):
        selector.unregister(conn)
        buffers.pop(conn, None)
        contents.pop(conn, None)
        conn.close()

    while True:
        for key, _ in selector.select():
            if key.fileobj is listener:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                if peer_uid(conn) != os.geteuid():
                    print("sqlite-storage: refused a connection from user id %d" % peer_uid(conn), file=sys.stderr)
                    conn.close()
                    continue
                conn.settimeout(30)  # a command that stops reading cannot hold the daemon for ever
                try:
                    conn.sendall(b'{"ready":true,"pid":%d,"raw_content":true}\n' % os.getpid())
                except OSError:
                    conn.close()
                    continue
                buffers[conn] = bytearray()
                selector.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            try:
                waiting = contents.get(conn)
                if waiting is not None:  # the rest of a write's content, straight into its buffer
                    line, content, have = waiting
                    got = conn.recv_into(memoryview(content)[have:])
                    if not got:
                        drop(conn)
                        continue
                    if have + got < len(content):
                        waiting[2] = have + got
                        continue
                    del contents[conn]
                    serve(conn, line, content)
                    continue
                chunk = conn.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                drop(conn)
                continue
            pending = buffers[conn]
            pending.extend(chunk)
            end = pending.find(b"\n", len(pending) - len(chunk))
            try:
                while end >= 0:
                    line = pending[:end]
                    if end + 1 == len(pending):  # the usual case: let the buffer go, however large it grew
                        buffers[conn] = pending = bytearray()
                    else:
                        del pending[:end + 1]
                    if line.startswith(CONTENT_LENGTH):  # a write whose content follows, raw
                        size = int(line[len(CONTENT_LENGTH):line.index(b",")])
                        if not 0 <= size <= CONTENT_LIMIT:
                            raise ValueError("a request announces %d bytes of content" % size)
                        content = bytearray(size)
                        have = min(size, len(pending))
                        content[:have] = pending[:have]
                        del pending[:have]
                        if have < size:
                            contents[conn] = [line, content, have]
                            break
                        serve(conn, line, content)
                    elif line and not line.isspace():  # (strip() would copy a large line)
                        serve(conn, line)
                    end = pending.find(b"\n")
            except (OSError, ValueError) as error:
                print("sqlite-storage: dropped a connection: %s" % error, file=sys.stderr)
                drop(conn)


def serve_line(db, holder, content=None):
    """One request line (the one item of `holder`, taken out of it) to one response line, as
    bytes in pieces. Raises ValueError for a line that is not JSON.

    Raw framing: `content` is the bytes that followed a write's line; a read's data goes back
    as bytes after a line announcing their size. Otherwise a large content is held about
    twice at most: the line's text goes once it is parsed, a write's content once it is
    encoded, and a read's data is escaped and encoded on its own, each copy let go as the next
    is made, never joined into the whole line's text.
    """
    event = json.loads(holder.pop())
    if isinstance(event, dict) and event.get("operation") in ("read", "write"):
        if content is not None:
            event[RAW_CONTENT] = content
            del content
        elif event["operation"] == "read":
            event[RAW_DATA] = True
    try:
        response = handle(db, event)
    except (sqlite3.Error, OSError) as error:  # one failed request must not end the daemon for every command
        response = failure_of(error)
    if isinstance(event, dict) and "id" in event:
        response["id"] = event["id"]
    del event
    raw = response.pop(RAW_DATA, None)
    if raw is not None:
        response["data"] = ""
        head = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
        if not raw:
            return [(head + "\n").encode("utf-8")]
        return [b'{"data_length":%d,' % len(raw), (head[1:] + "\n").encode("utf-8"), raw]
    data = response.pop("data", None)
    head = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
    if data is None:
        return [(head + "\n").encode("utf-8")]
    escaped = json.encoder.encode_basestring(data)
    del data
    body = escaped.encode("utf-8")
    del escaped
    return [(head[:-1] + ',"data":').encode("utf-8"), body, b"}\n"]


def main():
    out = sys.stdout
    try:
        db = connect()
    except (sqlite3.Error, OSError, ValueError, Failure) as error:
        print("sqlite-storage: cannot open the database: %s" % error, file=sys.stderr)
        return 1
    if "--storage-daemon" in sys.argv:
        serve_daemon(db)
    if "--storage-serve" in sys.argv:
        # The manifest declares "raw_content": a write's content follows its line as bytes,
        # and a read's data goes back the same way (serve_line).
        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
        for line in stdin:
            if not line.strip():
                continue
            content = None
            if line.startswith(CONTENT_LENGTH):
                size = int(line[len(CONTENT_LENGTH):line.index(b",")])
                content, have = bytearray(size), 0
                while have < size:
                    got = stdin.readinto(memoryview(content)[have:])
                    if not got:
                        print("sqlite-storage: the input ended inside a write's content", file=sys.stderr)
                        return 2
                    have += got
            try:
                pieces = serve_line(db, [line.decode("utf-8")], content)
            except ValueError as error:
                print("sqlite-storage: request is not JSON: %s" % error, file=sys.stderr)
                return 2
            del content
            for piece in pieces:
                stdout.write(piece)
            stdout.flush()
        return 0
    try:
        event = json.loads(sys.stdin.read())
    except ValueError as error:
        print("sqlite-storage: the event is not JSON: %s" % error, file=sys.stderr)
        return 2
    try:
        response = handle(db, event)
    except (sqlite3.Error, OSError) as error:
        response = failure_of(error)
    answer(response, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
