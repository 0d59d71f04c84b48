<?php
// example-php: a homeboy storage module in plain PHP, one event per process.
//
// The storage contract is docs/storage-contract.md; how a module runs, docs/module-authoring.md.
// Every stored path lives under one folder on disk: "/a/b.txt" is "<root>/data/a/b.txt", where
// root is the provider config's "root" (by default "<config folder>/<module id>-store").
// It offers the core contract only: no batches (the host sends their operations one by one),
// no versions, text content.

final class Failure extends Exception
{
    public function __construct(public string $code_name, string $message)
    {
        parent::__construct($message);
    }
}

function provider_config(): array
{
    $file = getenv('HOMEBOY_STORAGE_CONFIG_FILE');
    $text = $file !== false && $file !== '' ? file_get_contents($file) : (getenv('HOMEBOY_STORAGE_CONFIG') ?: '{}');
    $config = json_decode($text, true);
    return is_array($config) ? $config : [];
}

function answer(string $op, string $path, string $file, array $event, string $tmp): array
{
    switch ($op) {
        case 'read':
            if (!file_exists($file)) throw new Failure('not_found', "no such file: $path");
            if (is_dir($file)) throw new Failure('invalid_argument', "is a folder, not a file: $path");
            if (!is_file($file)) throw new Failure('invalid_argument', "is not a regular file: $path");
            $content = file_get_contents($file);
            if ($content === false) throw new Failure('io_error', "cannot read $path");
            return ['success' => true, 'data' => $content];
        case 'write':
            if (!is_dir(dirname($file))) throw new Failure('not_found', 'folder does not exist: ' . dirname($path));
            if (is_dir($file)) throw new Failure('invalid_argument', "is a folder, not a file: $path");
            if (!is_string($event['content'] ?? null)) throw new Failure('invalid_argument', 'write needs a content');
            // Written whole, then renamed into place: a reader sees the old or the new content.
            $new = tempnam($tmp, 'w');
            if ($new === false || file_put_contents($new, $event['content']) !== strlen($event['content'])
                || !rename($new, $file)) {
                if ($new !== false) @unlink($new);
                throw new Failure('io_error', "cannot write $path");
            }
            return ['success' => true];
        case 'list':
            if (!file_exists($file)) return ['success' => true, 'entries' => []];
            if (!is_dir($file)) throw new Failure('invalid_argument', "is a file, not a folder: $path");
            $entries = [];
            foreach (scandir($file) as $name) {
                if ($name === '.' || $name === '..') continue;
                $entries[] = ['path' => rtrim($path, '/') . '/' . $name, 'is_directory' => is_dir("$file/$name")];
            }
            return ['success' => true, 'entries' => $entries];  // any order: the host sorts
        case 'delete':
            if (!file_exists($file) && !is_link($file)) throw new Failure('not_found', "no such file or folder: $path");
            if (is_dir($file) && !is_link($file)) {
                if (($event['is_directory'] ?? false) !== true) {
                    throw new Failure('invalid_argument', "is a folder: $path (delete it with its contents: is_directory)");
                }
                if ($path === '/') throw new Failure('invalid_argument', 'refusing to delete the root folder');
                $items = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($file, FilesystemIterator::SKIP_DOTS),
                                                       RecursiveIteratorIterator::CHILD_FIRST);
                foreach ($items as $item) {
                    $ok = $item->isDir() && !$item->isLink() ? rmdir($item->getPathname()) : unlink($item->getPathname());
                    if (!$ok) throw new Failure('io_error', "cannot delete $path");
                }
                if (!rmdir($file)) throw new Failure('io_error', "cannot delete $path");
            } elseif (!unlink($file)) {  // a file, with or without is_directory
                throw new Failure('io_error', "cannot delete $path");
            }
            return ['success' => true];
        case 'ensure_dir':
            // A file in the way, at the path or above it, is a conflict.
            for ($at = $file; strlen($at) > 1; $at = dirname($at)) {
                if (file_exists($at) && !is_dir($at)) throw new Failure('conflict', "a file is in the way: $path");
            }
            if (!is_dir($file) && !@mkdir($file, 0777, true) && !is_dir($file)) {
                throw new Failure('io_error', "cannot create folder $path");
            }
            return ['success' => true];
        default:
            throw new Failure('unsupported', "unknown operation: $op");
    }
}

$config = provider_config();
$root = is_string($config['root'] ?? null) ? $config['root']
      : getenv('HOMEBOY_CONFIG_DIR') . '/' . getenv('HOMEBOY_MODULE_ID') . '-store';
$data = "$root/data";
$tmp = "$root/tmp";
foreach ([$data, $tmp] as $folder) {
    if (!is_dir($folder) && !@mkdir($folder, 0700, true) && !is_dir($folder)) {
        fwrite(STDERR, "example-php: cannot create $folder\n");
        exit(1);
    }
}

$event = json_decode(stream_get_contents(STDIN), true);
try {
    if (!is_array($event)) throw new Failure('invalid_argument', 'an event must be a JSON object');
    $path = $event['path'] ?? null;
    if (!is_string($path) || !str_starts_with($path, '/')) {
        throw new Failure('invalid_argument', 'path must be absolute');
    }
    // The host sends normalized paths: no "." or "..", no trailing slash.
    $response = answer((string)($event['operation'] ?? ''), $path, $data . rtrim($path, '/'), $event, $tmp);
} catch (Failure $f) {
    $response = ['success' => false, 'error' => $f->getMessage(), 'error_code' => $f->code_name];
}
echo json_encode($response, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
