"""sqlite-storage: homeboy storage in one SQLite database (Python standard library only).

One-shot (--storage-operation): one JSON event on stdin, one JSON response on stdout.
Persistent (--storage-serve): one event per stdin line, one response per stdout line,
each echoing the request's "id"; exits at end of input.

The database lives at storage_provider.config.database_path; a relative path is taken
under homeboy's config folder. Folders are real rows: ensure_dir records a folder and its
parents, write needs its parent folder, list returns immediate children only.
"""
import json
import os
import sqlite3
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    path TEXT PRIMARY KEY,
    parent TEXT NOT NULL,
    is_directory INTEGER NOT NULL,
    content TEXT
);
CREATE INDEX IF NOT EXISTS entries_parent ON entries(parent, path);
"""


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def provider_config():
    # The file has no size limit; the variable is only there for small configs.
    path = os.environ.get("HOMEBOY_STORAGE_CONFIG_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return json.loads(os.environ.get("HOMEBOY_STORAGE_CONFIG") or "{}")


def database_path():
    config = provider_config()
    path = config.get("database_path", "storage.db")
    if not isinstance(path, str) or not path:
        raise Failure("invalid_argument", "config database_path must be a non-empty string")
    if not os.path.isabs(path):
        base = os.environ.get("HOMEBOY_CONFIG_DIR") or os.getcwd()
        path = os.path.join(base, path)
    return path


def connect():
    path = database_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def normalize(path):
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
        raise Failure("invalid_argument", "path must be absolute: %r" % (path,))
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def parent_of(path):
    head = path.rsplit("/", 1)[0]
    return head or "/"


def kind(db, path):
    """None when missing, else True for a folder, False for a file. "/" is always a folder."""
    if path == "/":
        return True
    row = db.execute("SELECT is_directory FROM entries WHERE path = ?", (path,)).fetchone()
    return None if row is None else bool(row[0])


def op_read(db, path, event):
    row = db.execute("SELECT is_directory, content FROM entries WHERE path = ?", (path,)).fetchone()
    if row is None:
        raise Failure("not_found", "no such file: " + path)
    if row[0]:
        raise Failure("invalid_argument", "is a folder, not a file: " + path)
    return {"success": True, "data": row[1]}


def op_write(db, path, event):
    content = event.get("content")
    if not isinstance(content, str):
        raise Failure("invalid_argument", "write needs a string content")
    parent = parent_of(path)
    if kind(db, parent) is not True:
        raise Failure("not_found", "folder does not exist: " + parent)
    if kind(db, path) is True:
        raise Failure("invalid_argument", "is a folder, not a file: " + path)
    db.execute(
        "INSERT INTO entries(path, parent, is_directory, content) VALUES (?, ?, 0, ?) "
        "ON CONFLICT(path) DO UPDATE SET content = excluded.content",
        (path, parent, content))
    return {"success": True}


def op_list(db, path, event):
    if kind(db, path) is False:
        raise Failure("invalid_argument", "is a file, not a folder: " + path)
    rows = db.execute("SELECT path, is_directory FROM entries WHERE parent = ? AND path != '/' ORDER BY path",
                      (path,)).fetchall()
    return {"success": True, "entries": [{"path": p, "is_directory": bool(d)} for p, d in rows]}


def op_delete(db, path, event):
    what = kind(db, path)
    if what is None:
        raise Failure("not_found", "no such file or folder: " + path)
    if what:
        if event.get("is_directory") is not True:
            raise Failure("invalid_argument",
                          "is a folder: %s (set is_directory to delete it with its contents)" % path)
        if path == "/":
            raise Failure("invalid_argument", "refusing to delete the root folder")
        # Descendants share the prefix "path/": a range on the primary key finds them all,
        # and only them ("/a/bc" is not under "/a/b").
        db.execute("DELETE FROM entries WHERE path = ? OR (path >= ? AND path < ?)", (path, path + "/", path + "0"))
    else:
        db.execute("DELETE FROM entries WHERE path = ?", (path,))
    return {"success": True}


def op_ensure_dir(db, path, event):
    missing = []
    current = path
    while current != "/":
        what = kind(db, current)
        if what is True:
            break
        if what is False:
            raise Failure("conflict", "a file is in the way: " + current)
        missing.append(current)
        current = parent_of(current)
    for folder in reversed(missing):
        db.execute("INSERT INTO entries(path, parent, is_directory, content) VALUES (?, ?, 1, NULL)",
                   (folder, parent_of(folder)))
    return {"success": True}


OPERATIONS = {"read": op_read, "write": op_write, "list": op_list, "delete": op_delete, "ensure_dir": op_ensure_dir}


def run_one(db, event):
    try:
        if not isinstance(event, dict):
            raise Failure("invalid_argument", "an event must be an object")
        operation = OPERATIONS.get(event.get("operation"))
        if operation is None:
            raise Failure("unsupported", "unknown operation: %r" % (event.get("operation"),))
        return operation(db, normalize(event.get("path")), event)
    except Failure as failure:
        return {"success": False, "error": str(failure), "error_code": failure.code}
    except sqlite3.Error as error:
        return {"success": False, "error": "database error: %s" % error, "error_code": "io_error"}


def handle(db, event):
    if isinstance(event, dict) and event.get("operation") == "batch":
        operations = event.get("operations")
        if not isinstance(operations, list):
            return {"success": False, "error": "batch needs an operations array", "error_code": "invalid_argument"}
        db.execute("BEGIN IMMEDIATE")  # the whole batch in one transaction
        try:
            results = [run_one(db, op) for op in operations]
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return {"success": True, "results": results, "overall_success": all(r["success"] for r in results)}
    db.execute("BEGIN IMMEDIATE")
    try:
        response = run_one(db, event)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return response


def answer(response, out):
    out.write(json.dumps(response, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")
    out.flush()


def main():
    out = sys.stdout
    try:
        db = connect()
    except (sqlite3.Error, OSError, Failure) as error:
        print("sqlite-storage: cannot open the database: %s" % error, file=sys.stderr)
        return 1
    if "--storage-serve" in sys.argv:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError as error:
                print("sqlite-storage: request is not JSON: %s" % error, file=sys.stderr)
                return 2
            response = handle(db, event)
            if isinstance(event, dict) and "id" in event:
                response["id"] = event["id"]
            answer(response, out)
        return 0
    try:
        event = json.loads(sys.stdin.read())
    except ValueError as error:
        print("sqlite-storage: the event is not JSON: %s" % error, file=sys.stderr)
        return 2
    answer(handle(db, event), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
