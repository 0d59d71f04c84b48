<?php
// filesystem-php: homeboy storage on the local filesystem, in PHP (php-cli).
// One JSON event on stdin, one JSON response on stdout (docs/storage-contract.md).
// Content is written and read byte for byte; writes go to a unique temp file in the same
// folder and are renamed into place, so readers never see a torn file.

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
        throw new Failure('invalid_argument', 'path must be absolute: ' . json_encode($path));
    }
    $path = rtrim($path, '/');
    return $path === '' ? '/' : $path;
}

function error_code_for(string $path): string
{
    $dir = dirname($path);
    if (!file_exists($path) && !is_dir($dir)) return 'not_found';
    return is_writable(is_dir($path) ? $path : $dir) ? 'io_error' : 'permission_denied';
}

function op_read(string $path, array $event): array
{
    if (!file_exists($path)) throw new Failure('not_found', "no such file: $path");
    if (is_dir($path)) throw new Failure('invalid_argument', "is a folder, not a file: $path");
    $content = @file_get_contents($path);
    if ($content === false) throw new Failure(error_code_for($path), "cannot read $path");
    return ['success' => true, 'data' => $content];
}

function op_write(string $path, array $event): array
{
    $content = $event['content'] ?? null;
    if (!is_string($content)) throw new Failure('invalid_argument', 'write needs a string content');
    $dir = dirname($path);
    if (!is_dir($dir)) throw new Failure('not_found', "folder does not exist: $dir");
    if (is_dir($path)) throw new Failure('invalid_argument', "is a folder, not a file: $path");
    $tmp = @tempnam($dir, '.' . basename($path) . '.tmp.');  // unique, created with O_EXCL
    if ($tmp === false || dirname($tmp) !== $dir) {
        if ($tmp !== false) @unlink($tmp);
        throw new Failure(is_writable($dir) ? 'io_error' : 'permission_denied', "cannot write in $dir");
    }
    $mode = file_exists($path) ? (fileperms($path) & 07777) : (0666 & ~umask());
    if (@file_put_contents($tmp, $content) !== strlen($content) || !@chmod($tmp, $mode) || !@rename($tmp, $path)) {
        @unlink($tmp);
        throw new Failure('io_error', "cannot write $path");
    }
    return ['success' => true];
}

function op_list(string $path, array $event): array
{
    if (!file_exists($path)) return ['success' => true, 'entries' => []];
    if (!is_dir($path)) throw new Failure('invalid_argument', "is a file, not a folder: $path");
    $names = @scandir($path);
    if ($names === false) throw new Failure(error_code_for($path), "cannot list $path");
    $prefix = $path === '/' ? '/' : $path . '/';
    $entries = [];
    foreach ($names as $name) {
        if ($name === '.' || $name === '..') continue;
        $entries[] = $prefix . $name;
    }
    sort($entries, SORT_STRING);  // byte order
    return ['success' => true, 'entries' => array_map(
        fn($p) => ['path' => $p, 'is_directory' => is_dir($p)], $entries)];
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
    if (is_dir($path) && !is_link($path)) {
        if (($event['is_directory'] ?? false) !== true) {
            throw new Failure('invalid_argument', "is a folder: $path (set is_directory to delete it with its contents)");
        }
        if ($path === '/') throw new Failure('invalid_argument', 'refusing to delete the root folder');
    }
    if (!remove_tree($path)) throw new Failure(error_code_for($path), "cannot delete $path");
    return ['success' => true];
}

function op_ensure_dir(string $path, array $event): array
{
    if (is_dir($path)) return ['success' => true];
    if (file_exists($path)) throw new Failure('conflict', "a file is in the way: $path");
    if (!@mkdir($path, 0777, true) && !is_dir($path)) throw new Failure(error_code_for($path), "cannot create folder $path");
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
            throw new Failure('unsupported', 'unknown operation: ' . json_encode($op));
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
    $results = array_map('run_one', is_array($event['operations'] ?? null) ? $event['operations'] : []);
    $response = ['success' => true, 'results' => $results,
                 'overall_success' => !in_array(false, array_column($results, 'success'), true)];
} else {
    $response = run_one($event);
}
$json = json_encode($response, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
fwrite(STDOUT, $json . "\n");
