<?php
// filesystem-php: homeboy storage on the local filesystem, in PHP (php-cli).
// One JSON event on stdin, one JSON response on stdout (docs/storage-contract.md).
// It follows the same folder rules as builtin-filesystem, so both may serve one folder:
// every change holds an exclusive flock on the folder and goes through the folder's one
// temp file, .homeboy-tmp (created with the target's permissions, fsynced, renamed into
// place; a killed writer's leftover is removed by the next write). Content is bytes:
// "content_base64" in, "data_base64" out when it is not UTF-8.
// A version is "<inode>-<size>-<xxh128 of the content>": every write makes a new inode, and
// an old inode number coming back is harmless, since the content then matches too.

const TEMP_NAME = '.homeboy-tmp';
const CONTENT_LIMIT = 268435456;  // 256 MiB, the host's limit: larger files are refused with too_large

final class Failure extends Exception
{
    public function __construct(public string $errorCode, string $message)
    {
        parent::__construct($message);
    }
}

function normalize_path($path): string
{
    if (!is_string($path) || $path === '' || $path[0] !== '/' || str_contains($path, "\0")) {
        throw new Failure('invalid_argument', 'path must be absolute: ' . json_encode($path, JSON_INVALID_UTF8_SUBSTITUTE));
    }
    $path = rtrim($path, '/');
    return $path === '' ? '/' : $path;
}

function is_utf8(string $s): bool
{
    return preg_match('//u', $s) === 1;
}

function error_code_for(string $path): string
{
    $dir = dirname($path);
    if (!file_exists($path) && !is_dir($dir)) return 'not_found';
    return is_writable(is_dir($path) ? $path : $dir) ? 'io_error' : 'permission_denied';
}

function version_of(string $path, string $content): string
{
    $st = stat($path);
    return $st['ino'] . '-' . strlen($content) . '-' . hash('xxh128', $content);
}

// An exclusive lock on a folder, held until released (or the process ends).
function lock_folder(string $dir)
{
    $handle = @fopen($dir, 'r');
    if ($handle === false) throw new Failure(is_dir($dir) ? 'permission_denied' : 'not_found', "cannot open folder $dir");
    if (!flock($handle, LOCK_EX)) throw new Failure('io_error', "cannot lock folder $dir");
    return $handle;
}

function sync_folder(string $dir): void
{
    $handle = @fopen($dir, 'r');
    if ($handle !== false) {
        @fsync($handle);
        fclose($handle);
    }
}

function op_read(string $path, array $event): array
{
    if (!file_exists($path)) throw new Failure('not_found', "no such file: $path");
    if (is_dir($path)) throw new Failure('invalid_argument', "is a folder, not a file: $path");
    if (!is_file($path)) throw new Failure('invalid_argument', "is not a regular file (a device, FIFO or socket): $path");
    $size = @filesize($path);
    if ($size !== false && $size > CONTENT_LIMIT) {
        throw new Failure('too_large', "$path is $size bytes; the limit is " . CONTENT_LIMIT);
    }
    $content = @file_get_contents($path);
    if ($content === false) throw new Failure(error_code_for($path), "cannot read $path");
    $version = version_of($path, $content);
    if (is_utf8($content)) return ['success' => true, 'data' => $content, 'version' => $version];
    return ['success' => true, 'data_base64' => base64_encode($content), 'version' => $version];
}

function event_content(array $event): string
{
    if (isset($event['content_base64'])) {
        $decoded = is_string($event['content_base64']) ? base64_decode($event['content_base64'], true) : false;
        if ($decoded === false) throw new Failure('invalid_argument', 'content_base64 is not valid base64');
        return $decoded;
    }
    $content = $event['content'] ?? null;
    if (!is_string($content)) throw new Failure('invalid_argument', 'write needs a string content');
    return $content;
}

function check_condition(array $event, string $path, bool $exists): void
{
    if (($event['if_absent'] ?? false) === true && $exists) throw new Failure('conflict', "already exists: $path");
    $wanted = $event['if_version'] ?? null;
    if ($wanted === null) return;
    if (!$exists) throw new Failure('conflict', "was deleted since version $wanted: $path");
    $current = @file_get_contents($path);
    $now = $current === false ? 'unreadable' : version_of($path, $current);
    if ($now !== $wanted) throw new Failure('conflict', "changed since version $wanted (now $now): $path");
}

function op_write(string $path, array $event): array
{
    $content = event_content($event);
    if (is_link($path)) {
        $resolved = realpath($path);
        if ($resolved === false) throw new Failure('invalid_argument', "is a symbolic link to a missing file: $path");
        $path = $resolved;
    }
    $dir = dirname($path);
    if (!is_dir($dir)) throw new Failure('not_found', "folder does not exist: $dir");
    if (is_dir($path)) throw new Failure('invalid_argument', "is a folder, not a file: $path");
    if (file_exists($path) && !is_file($path)) {
        throw new Failure('invalid_argument', "is not a regular file (a device, FIFO or socket), and is left alone: $path");
    }
    $lock = lock_folder($dir);
    clearstatcache();
    $existing = @lstat($path);
    check_condition($event, $path, $existing !== false);
    $tmp = $dir . '/' . TEMP_NAME;
    // A killed writer's (a file, or the bash module's staging folder); we hold the lock.
    if (file_exists($tmp) || is_link($tmp)) remove_tree($tmp);
    // Created with the target's permissions before any byte is written: 0600 for a new
    // file in a private folder, the old file's mode for a replacement; set-ID bits never.
    if ($existing !== false) {
        $mode = $existing['mode'] & 0777;
    } elseif ((fileperms($dir) & 077) === 0) {
        $mode = 0600;
    } else {
        $mode = 0666 & ~umask();
    }
    $old_umask = umask(0777 & ~$mode);
    $handle = @fopen($tmp, 'x');
    umask($old_umask);
    if ($handle === false) throw new Failure(is_writable($dir) ? 'io_error' : 'permission_denied', "cannot write in $dir");
    @chmod($tmp, $mode);  // the umask cannot give execute bits: keep the replaced file's exactly
    if ($existing !== false && ($existing['uid'] !== getmyuid() || $existing['gid'] !== getmygid())) {
        @chown($tmp, $existing['uid']);  // keeps the owner where we may (root); the group likewise
        @chgrp($tmp, $existing['gid']);
    }
    $ok = fwrite($handle, $content) === strlen($content) && fflush($handle) && fsync($handle);
    fclose($handle);
    if (!$ok || !@rename($tmp, $path)) {
        @unlink($tmp);
        throw new Failure('io_error', "cannot write $path");
    }
    sync_folder($dir);
    clearstatcache();
    $version = version_of($path, $content);
    flock($lock, LOCK_UN);
    return ['success' => true, 'version' => $version];
}

function op_list(string $path, array $event): array
{
    if (!file_exists($path)) return ['success' => true, 'entries' => []];
    if (!is_dir($path)) throw new Failure('invalid_argument', "is a file, not a folder: $path");
    $names = @scandir($path, SCANDIR_SORT_NONE);
    if ($names === false) throw new Failure(error_code_for($path), "cannot list $path");
    $prefix = $path === '/' ? '/' : $path . '/';
    $entries = [];
    foreach ($names as $name) {
        if ($name === '.' || $name === '..' || $name === TEMP_NAME) continue;
        $child = $prefix . $name;
        // A name that is not UTF-8 cannot be JSON text: it goes as path_base64.
        $entries[] = is_utf8($child) ? ['path' => $child, 'is_directory' => is_dir($child)]
                                     : ['path_base64' => base64_encode($child), 'is_directory' => is_dir($child)];
    }
    return ['success' => true, 'entries' => $entries];  // any order: the host sorts
}

function remove_tree(string $path): bool
{
    if (is_dir($path) && !is_link($path)) {
        foreach (scandir($path) as $name) {
            if ($name !== '.' && $name !== '..' && !remove_tree("$path/$name")) return false;
        }
        return @rmdir($path);
    }
    return @unlink($path);
}

function op_delete(string $path, array $event): array
{
    if (!file_exists($path) && !is_link($path)) throw new Failure('not_found', "no such file or folder: $path");
    $type = is_link($path) ? 'link' : filetype($path);
    if ($type === 'char' || $type === 'block') throw new Failure('invalid_argument', "is a device, and is left alone: $path");
    $dir = dirname($path);
    $lock = lock_folder($dir);
    clearstatcache();
    if (is_dir($path) && !is_link($path)) {
        if (($event['is_directory'] ?? false) !== true) {
            throw new Failure('invalid_argument', "is a folder: $path (delete it with its contents: is_directory, or --recursive)");
        }
        if (isset($event['if_version'])) throw new Failure('invalid_argument', "a folder has no version: $path");
        if ($path === '/') throw new Failure('invalid_argument', 'refusing to delete the root folder');
    } else {
        check_condition($event, $path, file_exists($path) || is_link($path));
    }
    if (!remove_tree($path)) throw new Failure(error_code_for($path), "cannot delete $path");
    sync_folder($dir);
    flock($lock, LOCK_UN);
    return ['success' => true];
}

function op_ensure_dir(string $path, array $event): array
{
    if (is_dir($path)) return ['success' => true];
    if (file_exists($path)) throw new Failure('conflict', "a file is in the way: $path");
    // A folder made inside a private folder is private too.
    $parent = dirname($path);
    while ($parent !== '/' && !is_dir($parent)) {
        if (file_exists($parent)) throw new Failure('conflict', "a file is in the way: $parent");
        $parent = dirname($parent);
    }
    $private = (fileperms($parent) & 077) === 0;
    if (!@mkdir($path, $private ? 0700 : 0777, true) && !is_dir($path)) {
        throw new Failure(error_code_for($path), "cannot create folder $path");
    }
    return ['success' => true];
}

function run_one($event): array
{
    try {
        if (!is_array($event)) throw new Failure('invalid_argument', 'an event must be an object');
        $operations = ['read' => 'op_read', 'write' => 'op_write', 'list' => 'op_list',
                       'delete' => 'op_delete', 'ensure_dir' => 'op_ensure_dir'];
        $op = $event['operation'] ?? null;
        if (!is_string($op) || !isset($operations[$op])) {
            throw new Failure('unsupported', 'unknown operation: ' . json_encode($op, JSON_INVALID_UTF8_SUBSTITUTE));
        }
        clearstatcache();
        return $operations[$op](normalize_path($event['path'] ?? null), $event);
    } catch (Failure $f) {
        return ['success' => false, 'error' => $f->getMessage(), 'error_code' => $f->errorCode];
    }
}

$input = stream_get_contents(STDIN);
$event = json_decode($input, true, 512, JSON_BIGINT_AS_STRING);
if (!is_array($event)) {
    fwrite(STDERR, "filesystem-php: the event is not a JSON object\n");
    exit(2);
}
if (($event['operation'] ?? null) === 'batch') {
    // Strictly in order: each operation sees the ones before it.
    $results = array_map('run_one', is_array($event['operations'] ?? null) ? $event['operations'] : []);
    $response = ['success' => true, 'results' => $results,
                 'overall_success' => !in_array(false, array_column($results, 'success'), true)];
} else {
    $response = run_one($event);
}
// Every string is UTF-8 by now (content that is not goes as base64; a name that is not
// is refused), so encoding cannot fail; if it ever does, say so rather than substitute.
$json = json_encode($response, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
if ($json === false) {
    fwrite(STDERR, "filesystem-php: cannot encode the answer: " . json_last_error_msg() . "\n");
    exit(1);
}
fwrite(STDOUT, $json . "\n");
