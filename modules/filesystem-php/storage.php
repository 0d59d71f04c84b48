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
// A batch's writes into one folder are staged together in .homeboy-tmp/ (a folder then),
// flushed with one syncfs (coreutils' sync -f: PHP has no syncfs of its own) before any is
// renamed into place, and the folder is fsynced once (see Stage). "durability":
// "process_crash" in the provider's config skips every flush.

// PHP's own warnings (a failed fwrite, say) go to stderr: stdout carries the answer alone.
ini_set('display_errors', 'stderr');

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

// The code of a write that failed in $dir: no_space when the file system is full (the last
// warning names errno 28, ENOSPC, or 122, EDQUOT, or no byte is free), io_error otherwise.
function write_error_code(string $dir): string
{
    $last = error_get_last()['message'] ?? '';
    if (preg_match('/errno=(28|122)\b|No space left|quota exceeded/i', $last)) return 'no_space';
    $free = @disk_free_space($dir);
    return $free !== false && $free < 4096 ? 'no_space' : 'io_error';
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

// False when the provider's config chose speed over durability ("durability": "process_crash").
function flushing(): bool
{
    static $flush = null;
    if ($flush === null) {
        $file = getenv('HOMEBOY_STORAGE_CONFIG_FILE');
        $text = getenv('HOMEBOY_STORAGE_CONFIG');
        if ($text === false && $file !== false) $text = @file_get_contents($file);
        $config = is_string($text) ? json_decode($text, true) : null;
        $flush = !(is_array($config) && ($config['durability'] ?? null) === 'process_crash');
    }
    return $flush;
}

function sync_folder(string $dir): bool
{
    if (!flushing()) return true;
    $handle = @fopen($dir, 'r');
    if ($handle === false) return false;
    $ok = @fsync($handle);
    fclose($handle);
    return $ok;
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

// Where a write lands: a symbolic link is followed to the file it names. Throws when the
// path cannot take a file.
function write_target(string $path): string
{
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
    return $path;
}

// Writes the new content of $path to $tmp, with the replaced file's permissions and owner,
// under the folder's lock (held by the caller), once the condition holds. With $sync the
// file is fsynced too. Throws on failure, leaving no $tmp behind.
function prepare_write(string $path, string $tmp, array $event, string $content, bool $sync): void
{
    $dir = dirname($path);
    clearstatcache();
    $existing = @lstat($path);
    check_condition($event, $path, $existing !== false);
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
    if ($handle === false) throw new Failure(is_writable($dir) ? write_error_code($dir) : 'permission_denied', "cannot write in $dir");
    @chmod($tmp, $mode);  // the umask cannot give execute bits: keep the replaced file's exactly
    if ($existing !== false && ($existing['uid'] !== getmyuid() || $existing['gid'] !== getmygid())) {
        @chown($tmp, $existing['uid']);  // keeps the owner where we may (root); the group likewise
        @chgrp($tmp, $existing['gid']);
    }
    $ok = fwrite($handle, $content) === strlen($content) && fflush($handle) && (!$sync || fsync($handle));
    fclose($handle);
    if (!$ok) {
        @unlink($tmp);
        throw new Failure(write_error_code($dir), "cannot write $path: " . (error_get_last()['message'] ?? 'unknown error'));
    }
}

function op_write(string $path, array $event): array
{
    $content = event_content($event);
    $path = write_target($path);
    $dir = dirname($path);
    $lock = lock_folder($dir);
    $tmp = $dir . '/' . TEMP_NAME;
    // A killed writer's (a file, or a batch's staging folder); we hold the lock.
    clearstatcache();
    if (file_exists($tmp) || is_link($tmp)) remove_tree($tmp);
    prepare_write($path, $tmp, $event, $content, flushing());
    if (!@rename($tmp, $path)) {
        @unlink($tmp);
        throw new Failure('io_error', "cannot write $path");
    }
    if (!sync_folder($dir)) throw new Failure('io_error', "wrote, but could not flush to disk the folder of $path");
    clearstatcache();
    $version = version_of($path, $content);
    flock($lock, LOCK_UN);
    return ['success' => true, 'version' => $version];
}

// A batch's consecutive writes into one folder, made durable together: each is checked and
// written to .homeboy-tmp/<n> under the folder's lock (held until the end), then one syncfs
// flushes them all, each is renamed into place in order, and the folder is fsynced once.
// A write into another folder, to a file already staged, or any other operation flushes
// the stage first (a read must see the writes before it). Killed at any moment, each file is
// old or new; the staging folder left behind is removed by the next write into the folder.
final class Stage
{
    private ?string $dir = null;
    private $lock = null;
    private array $staged = [];  // name => [result index, staged file, version]

    public function write(string $path, array $event, int $index, array &$results): void
    {
        $content = event_content($event);
        $path = write_target($path);
        $dir = dirname($path);
        $name = basename($path);
        if ($this->dir !== $dir || isset($this->staged[$name])) $this->flush($results);
        if ($this->dir === null) {
            $this->lock = lock_folder($dir);
            $this->dir = $dir;
            $tmp = $dir . '/' . TEMP_NAME;
            clearstatcache();
            if (file_exists($tmp) || is_link($tmp)) remove_tree($tmp);  // a killed writer's; we hold the lock
            if (!@mkdir($tmp, 0700)) {
                $this->release();
                throw new Failure(is_writable($dir) ? 'io_error' : 'permission_denied', "cannot write in $dir");
            }
        }
        $file = $dir . '/' . TEMP_NAME . '/' . count($this->staged);
        prepare_write($path, $file, $event, $content, false);
        clearstatcache();
        $st = stat($file);  // the inode stays the same through the rename
        $this->staged[$name] = [$index, $file, $st['ino'] . '-' . strlen($content) . '-' . hash('xxh128', $content)];
        $results[$index] = ['success' => true, 'version' => $this->staged[$name][2]];
    }

    public function flush(array &$results): void
    {
        if ($this->dir === null) return;
        $why = 'cannot write';
        if ($this->staged && flushing() && !flush_file_system($this->dir . '/' . TEMP_NAME, array_column($this->staged, 1))) {
            $why = 'cannot flush to disk';
        } else {
            foreach ($this->staged as $name => [$index, $file]) {
                if (!@rename($file, $this->dir . '/' . $name)) {
                    $results[$index] = ['success' => false, 'error' => "cannot write {$this->dir}/$name", 'error_code' => 'io_error'];
                }
            }
        }
        remove_tree($this->dir . '/' . TEMP_NAME);
        $flushed = sync_folder($this->dir);
        foreach ($this->staged as $name => [$index]) {
            if (!$results[$index]['success']) continue;
            if ($why !== 'cannot write') {
                $results[$index] = ['success' => false, 'error' => "$why {$this->dir}/$name", 'error_code' => 'io_error'];
            } elseif (!$flushed) {
                $results[$index] = ['success' => false, 'error' => "wrote, but could not flush to disk the folder of {$this->dir}/$name",
                                    'error_code' => 'io_error'];
            }
        }
        $this->release();
    }

    private function release(): void
    {
        if ($this->lock !== null) {
            flock($this->lock, LOCK_UN);
            fclose($this->lock);
        }
        $this->dir = null;
        $this->lock = null;
        $this->staged = [];
    }
}

// Makes $files durable: one syncfs of the file system holding $folder (coreutils' sync -f),
// or an fsync of each file when there is only one (it then need not wait for the rest of the
// file system) or when sync cannot run.
function flush_file_system(string $folder, array $files): bool
{
    if (count($files) > 1) {
        $quiet = [['file', '/dev/null', 'r'], ['file', '/dev/null', 'w'], ['file', '/dev/null', 'w']];
        $process = @proc_open(['sync', '-f', '--', $folder], $quiet, $pipes);
        if (is_resource($process) && proc_close($process) === 0) return true;
    }
    foreach ($files as $file) {
        $handle = @fopen($file, 'r+');
        if ($handle === false || !fsync($handle)) return false;
        fclose($handle);
    }
    return true;
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
    if (!sync_folder($dir)) throw new Failure('io_error', "deleted, but could not flush to disk the folder of $path");
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
        $code = error_code_for($path);
        throw new Failure($code === 'io_error' ? write_error_code($parent) : $code, "cannot create folder $path");
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
    // Strictly in order: each operation sees the ones before it (writes are staged; see Stage).
    $results = [];
    $stage = new Stage();
    foreach (is_array($event['operations'] ?? null) ? $event['operations'] : [] as $index => $operation) {
        if (is_array($operation) && ($operation['operation'] ?? null) === 'write') {
            try {
                $stage->write(normalize_path($operation['path'] ?? null), $operation, $index, $results);
            } catch (Failure $f) {
                $results[$index] = ['success' => false, 'error' => $f->getMessage(), 'error_code' => $f->errorCode];
            }
            continue;
        }
        $stage->flush($results);
        $results[$index] = run_one($operation);
    }
    $stage->flush($results);
    ksort($results);
    $results = array_values($results);
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
