#!/usr/bin/env python3
"""example-python: a complete homeboy storage module in one file of standard-library Python.

The storage contract is docs/storage-contract.md; how a module runs, docs/module-authoring.md.
Every stored path lives under one folder on disk: "/a/b.txt" is "<root>/data/a/b.txt", where
root is the provider config's "root" (by default "<config folder>/<module id>-store").

It declares the capabilities "versions" and "binary", and answers batches:
  - a version is "<inode>-<modification time in ns>": every write makes a new file (a new
    inode) whose modification time is later than the one it replaces, so a version never
    comes back for a path;
  - every change holds an exclusive lock on <root>/lock, so a conditional write checks the
    version and writes in one step, also against other processes of this module;
  - a write goes to a temp file in <root>/tmp, then is renamed into place: a reader sees the
    old or the new content, and temp files never show in a listing.

It runs one event per line for a whole homeboy run (--storage-serve), as its manifest asks
("persistent": true); without that, one event per process (--storage-operation). Python
takes 20 to 35 ms to start, so persistent is the way to run it.
"""
import base64
import errno
import fcntl
import json
import os
import shutil
import stat
import sys
import tempfile
import time

CONTENT_LIMIT = 256 << 20  # the host's limit: a larger file is refused with too_large


class Failure(Exception):
    """A failed operation: the contract's error code and a message a person can act on."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def code_of(error):
    """The contract's error code for an OSError."""
    return {errno.ENOENT: "not_found", errno.ENOTDIR: "not_found", errno.EACCES: "permission_denied",
            errno.EPERM: "permission_denied", errno.EISDIR: "invalid_argument",
            errno.EEXIST: "conflict"}.get(error.errno, "io_error")


def provider_config():
    """storage_provider.config from the manifest: a file, or (older hosts) a variable."""
    path = os.environ.get("HOMEBOY_STORAGE_CONFIG_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return json.loads(os.environ.get("HOMEBOY_STORAGE_CONFIG") or "{}")


class Store:
    def __init__(self, root):
        self.data = os.path.join(root, "data")
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        os.makedirs(self.tmp, mode=0o700, exist_ok=True)
        self.lock_file = os.path.join(root, "lock")

    # --- helpers -----------------------------------------------------------------------

    def locate(self, path):
        """The file on disk for a stored path; refuses anything that could leave the root."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise Failure("invalid_argument", "path must be absolute: %r" % (path,))
        names = [name for name in path.split("/") if name]
        if any(name in (".", "..") for name in names):
            raise Failure("invalid_argument", "path must not hold . or ..: " + path)
        return os.path.join(self.data, *names)

    def locked(self):
        """An exclusive lock for one change; released when the returned file is closed."""
        handle = open(self.lock_file, "a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    @staticmethod
    def version_of(st):
        return "%d-%d" % (st.st_ino, st.st_mtime_ns)

    @staticmethod
    def check_condition(event, path, current):
        """Raises conflict unless the event's condition holds; `current` is the file's stat or None."""
        if event.get("if_absent") is True and current is not None:
            raise Failure("conflict", "already exists: " + path)
        wanted = event.get("if_version")
        if wanted is None:
            return
        if current is None:
            raise Failure("conflict", "was deleted since version %s: %s" % (wanted, path))
        if Store.version_of(current) != wanted:
            raise Failure("conflict", "changed since version %s (now %s): %s" % (wanted, Store.version_of(current), path))

    # --- the operations ----------------------------------------------------------------

    def read(self, event):
        path = event.get("path")
        file = self.locate(path)
        try:
            # O_NONBLOCK: a FIFO is refused below, never waited on.
            fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
        except IsADirectoryError:
            raise Failure("invalid_argument", "is a folder, not a file: " + path)
        except OSError as e:
            raise Failure(code_of(e), "cannot read %s: %s" % (path, e.strerror))
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise Failure("invalid_argument", "is a folder, not a file: " + path)
            if not stat.S_ISREG(st.st_mode):
                raise Failure("invalid_argument", "is not a regular file (a device, FIFO or socket): " + path)
            if st.st_size > CONTENT_LIMIT:
                raise Failure("too_large", "%s is %d bytes; the limit is %d" % (path, st.st_size, CONTENT_LIMIT))
            with os.fdopen(fd, "rb") as f:
                fd = None
                content = f.read()
        finally:
            if fd is not None:
                os.close(fd)
        try:
            return {"success": True, "data": content.decode("utf-8"), "version": self.version_of(st)}
        except UnicodeDecodeError:
            return {"success": True, "data_base64": base64.b64encode(content).decode("ascii"),
                    "version": self.version_of(st)}

    def write(self, event):
        path = event.get("path")
        file = self.locate(path)
        if "content_base64" in event:
            try:
                content = base64.b64decode(event["content_base64"], validate=True)
            except (ValueError, TypeError):
                raise Failure("invalid_argument", "content_base64 is not valid base64")
        elif isinstance(event.get("content"), str):
            content = event["content"].encode("utf-8")
        else:
            raise Failure("invalid_argument", "write needs a content")
        if not os.path.isdir(os.path.dirname(file)):
            raise Failure("not_found", "folder does not exist: " + os.path.dirname(path))
        with self.locked():
            try:
                current = os.stat(file)
            except FileNotFoundError:
                current = None
            if current is not None and not stat.S_ISREG(current.st_mode):
                raise Failure("invalid_argument", "is a folder, not a file: " + path)
            self.check_condition(event, path, current)
            fd, temp = tempfile.mkstemp(dir=self.tmp)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(content)
                    f.flush()
                    os.fsync(f.fileno())
                # Later than the file it replaces, even when the clock's tick is coarse.
                stamp = max(time.time_ns(), current.st_mtime_ns + 1 if current else 0)
                os.utime(temp, ns=(stamp, stamp))
                os.replace(temp, file)
            except OSError as e:
                if os.path.exists(temp):
                    os.unlink(temp)
                raise Failure(code_of(e), "cannot write %s: %s" % (path, e.strerror))
            return {"success": True, "version": self.version_of(os.stat(file))}

    def list(self, event):
        path = event.get("path")
        folder = self.locate(path)
        if not os.path.lexists(folder):
            return {"success": True, "entries": []}
        if not os.path.isdir(folder):
            raise Failure("invalid_argument", "is a file, not a folder: " + path)
        prefix = path.rstrip("/")
        return {"success": True, "entries": [
            {"path": prefix + "/" + name, "is_directory": os.path.isdir(os.path.join(folder, name))}
            for name in os.listdir(folder)]}  # any order: the host sorts

    def delete(self, event):
        path = event.get("path")
        file = self.locate(path)
        if file == self.data:
            raise Failure("invalid_argument", "refusing to delete the root folder")
        with self.locked():
            if not os.path.lexists(file):
                raise Failure("not_found", "no such file or folder: " + path)
            try:
                if os.path.isdir(file) and not os.path.islink(file):
                    if event.get("is_directory") is not True:
                        raise Failure("invalid_argument",
                                      "is a folder: %s (delete it with its contents: is_directory)" % path)
                    if "if_version" in event:
                        raise Failure("invalid_argument", "a folder has no version: " + path)
                    shutil.rmtree(file)
                else:  # a file, with or without is_directory
                    self.check_condition(event, path, os.lstat(file))
                    os.unlink(file)
            except OSError as e:
                raise Failure(code_of(e), "cannot delete %s: %s" % (path, e.strerror))
        return {"success": True}

    def ensure_dir(self, event):
        path = event.get("path")
        folder = self.locate(path)
        with self.locked():
            try:
                os.makedirs(folder, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise Failure("conflict", "a file is in the way: " + path)
            except OSError as e:
                raise Failure(code_of(e), "cannot create folder %s: %s" % (path, e.strerror))
        return {"success": True}

    def batch(self, event):
        operations = event.get("operations")
        if not isinstance(operations, list):
            raise Failure("invalid_argument", "batch needs an operations array")
        results = [self.answer(op) for op in operations]  # strictly in order
        return {"success": True, "results": results, "overall_success": all(r["success"] for r in results)}

    def answer(self, event):
        """The response to one event; every failure is an answer, never an exception."""
        handlers = {"read": self.read, "write": self.write, "list": self.list, "delete": self.delete,
                    "ensure_dir": self.ensure_dir, "batch": self.batch}
        operation = event.get("operation") if isinstance(event, dict) else None
        try:
            if operation not in handlers:
                raise Failure("unsupported", "unknown operation: %r" % (operation,))
            return handlers[operation](event)
        except Failure as f:
            return {"success": False, "error": str(f), "error_code": f.code}


def main(store_class=Store):
    config = provider_config()
    module_id = os.environ.get("HOMEBOY_MODULE_ID", "example-python")
    root = config.get("root") or os.path.join(os.environ["HOMEBOY_CONFIG_DIR"], module_id + "-store")
    store = store_class(root)
    # Bytes in and out, decoded as UTF-8 here: the locale's encoding may be another.
    if "--storage-serve" in sys.argv:
        # Persistent: one request per line, each answer echoing its "id"; stdin's end means done.
        for line in sys.stdin.buffer:
            request = json.loads(line.decode("utf-8"))
            response = store.answer(request)
            response["id"] = request.get("id")
            sys.stdout.buffer.write(json.dumps(response).encode("utf-8") + b"\n")
            sys.stdout.buffer.flush()
        return 0
    event = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdout.buffer.write(json.dumps(store.answer(event)).encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
