package vfs

import (
	"strings"
	"sync"
)

// CacheBlock is the unit Cache reads and keeps file data in.
const CacheBlock = 64 << 10

// Cache is a read cache over any FS: file data in CacheBlock blocks keyed
// by file identity (device, inode), and Stat results keyed by path. It is
// the piece a remote file client puts between the guest and the network,
// and what makes a host mount cheap to re-read.
//
// Coherence rule ("close-to-open plus callbacks"):
//   - writes, truncations and name changes made through the Cache drop
//     what they touch before they return, so a process always reads its
//     own writes and every later open sees them;
//   - changes made elsewhere arrive as Changes (Watchable on the backing
//     FS — fsnotify for a host mount, the server's callbacks for a remote
//     one) and drop the named path's entries and everything below it;
//   - every Open compares the file's size and modification time with what
//     the cached blocks were read under and drops them when they differ,
//     which catches a change whose notification has not arrived yet.
//
// A change made elsewhere through another hard link to the same file is
// seen at the next Open, not before.
type Cache struct {
	fs     FS
	cancel func()

	mu     sync.Mutex
	stats  map[statKey]Stat
	files  map[fileKey]*cachedData
	byPath map[string]fileKey
	hits   uint64
	misses uint64
}

type statKey struct {
	path   string
	follow bool
}

type fileKey struct{ dev, ino uint64 }

type cachedData struct {
	size   uint64
	mtim   int64
	blocks map[int64][]byte // block index → bytes (short at end of file)
}

// CacheStats counts block lookups.
type CacheStats struct {
	Hits, Misses uint64
}

// NewCache returns a cache over fs, subscribed to its changes when fs is
// Watchable. Close unsubscribes.
func NewCache(fs FS) *Cache {
	c := &Cache{fs: fs, stats: map[statKey]Stat{}, files: map[fileKey]*cachedData{}, byPath: map[string]fileKey{}}
	if w, ok := fs.(Watchable); ok {
		c.cancel = w.Watch(c.Invalidate)
	}
	return c
}

// Close stops listening for changes.
func (c *Cache) Close() {
	if c.cancel != nil {
		c.cancel()
	}
}

// Stats returns the block hit and miss counts so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses}
}

// Invalidate drops everything cached for ch.Path and the paths below it;
// an empty path drops everything. It is the hook change reporters call.
func (c *Cache) Invalidate(ch Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidate(ch.Path)
}

func under(p, prefix string) bool {
	return prefix == "" || prefix == "." || p == prefix || strings.HasPrefix(p, prefix+"/")
}

func (c *Cache) invalidate(path string) {
	// Stat results may be reached through symbolic links from anywhere,
	// so any change drops them all: they are cheap to refetch.
	clear(c.stats)
	for p, k := range c.byPath {
		if under(p, path) {
			delete(c.files, k)
			delete(c.byPath, p)
		}
	}
}

// Open implements FS.
func (c *Cache) Open(path string, mode OpenMode) (File, error) {
	if mode.Write || mode.OFlags&(OCreat|OTrunc) != 0 {
		c.Invalidate(Change{Path: path})
	}
	f, err := c.fs.Open(path, mode)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	k := fileKey{st.Dev, st.Ino}
	c.mu.Lock()
	if d, ok := c.files[k]; ok && (d.size != st.Size || d.mtim != st.Mtim) {
		delete(c.files, k)
	}
	if st.Type == TypeRegular {
		c.byPath[path] = k
	}
	c.mu.Unlock()
	return &cachedFile{c: c, f: f, key: k, path: path, typ: st.Type}, nil
}

// Stat implements FS.
func (c *Cache) Stat(path string, follow bool) (Stat, error) {
	k := statKey{path, follow}
	c.mu.Lock()
	if st, ok := c.stats[k]; ok {
		c.mu.Unlock()
		return st, nil
	}
	c.mu.Unlock()
	st, err := c.fs.Stat(path, follow)
	if err != nil {
		return st, err
	}
	c.mu.Lock()
	c.stats[k] = st
	c.mu.Unlock()
	return st, nil
}

func (c *Cache) mutate(err error, paths ...string) error {
	c.mu.Lock()
	for _, p := range paths {
		c.invalidate(p)
	}
	c.mu.Unlock()
	return err
}

// Mkdir implements FS.
func (c *Cache) Mkdir(path string) error { return c.mutate(c.fs.Mkdir(path), path) }

// Rmdir implements FS.
func (c *Cache) Rmdir(path string) error { return c.mutate(c.fs.Rmdir(path), path) }

// Unlink implements FS.
func (c *Cache) Unlink(path string) error { return c.mutate(c.fs.Unlink(path), path) }

// Rename implements FS.
func (c *Cache) Rename(from, to string) error { return c.mutate(c.fs.Rename(from, to), from, to) }

// Link implements FS.
func (c *Cache) Link(from, to string) error { return c.mutate(c.fs.Link(from, to), from, to) }

// Symlink implements FS.
func (c *Cache) Symlink(target, path string) error {
	return c.mutate(c.fs.Symlink(target, path), path)
}

// Readlink implements FS.
func (c *Cache) Readlink(path string) (string, error) { return c.fs.Readlink(path) }

// SetTimes implements FS.
func (c *Cache) SetTimes(path string, follow bool, t Times) error {
	return c.mutate(c.fs.SetTimes(path, follow, t), path)
}

// Truncate implements FS.
func (c *Cache) Truncate(path string, size int64) error {
	c.Invalidate(Change{Path: path})
	return c.mutate(c.fs.Truncate(path, size), path)
}

type cachedFile struct {
	c    *Cache
	f    File
	key  fileKey
	path string
	typ  FileType
}

func (f *cachedFile) drop() {
	f.c.mu.Lock()
	delete(f.c.files, f.key)
	clear(f.c.stats)
	f.c.mu.Unlock()
}

func (f *cachedFile) ReadAt(p []byte, off int64) (int, error) {
	if f.typ != TypeRegular || off < 0 {
		return f.f.ReadAt(p, off)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		bi := pos / CacheBlock
		blk, err := f.block(bi)
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		in := pos - bi*CacheBlock
		if in >= int64(len(blk)) {
			break
		}
		n += copy(p[n:], blk[in:])
		if len(blk) < CacheBlock {
			break
		}
	}
	return n, nil
}

func (f *cachedFile) block(bi int64) ([]byte, error) {
	f.c.mu.Lock()
	if d, ok := f.c.files[f.key]; ok {
		if b, ok := d.blocks[bi]; ok {
			f.c.hits++
			f.c.mu.Unlock()
			return b, nil
		}
	}
	f.c.misses++
	f.c.mu.Unlock()
	st, err := f.f.Stat()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, CacheBlock)
	n, err := f.f.ReadAt(buf, bi*CacheBlock)
	if err != nil {
		return nil, err
	}
	buf = buf[:n]
	f.c.mu.Lock()
	d, ok := f.c.files[f.key]
	if !ok || d.size != st.Size || d.mtim != st.Mtim {
		d = &cachedData{size: st.Size, mtim: st.Mtim, blocks: map[int64][]byte{}}
		f.c.files[f.key] = d
		if _, ok := f.c.byPath[f.path]; !ok {
			f.c.byPath[f.path] = f.key
		}
	}
	d.blocks[bi] = buf
	f.c.mu.Unlock()
	return buf, nil
}

func (f *cachedFile) WriteAt(p []byte, off int64) (int, error) {
	defer f.drop()
	return f.f.WriteAt(p, off)
}

func (f *cachedFile) Stat() (Stat, error) { return f.f.Stat() }

func (f *cachedFile) Truncate(size int64) error {
	defer f.drop()
	return f.f.Truncate(size)
}

func (f *cachedFile) SetTimes(t Times) error {
	defer f.drop()
	return f.f.SetTimes(t)
}

func (f *cachedFile) Sync() error                                    { return f.f.Sync() }
func (f *cachedFile) ReadDir(cookie uint64, n int) ([]Dirent, error) { return f.f.ReadDir(cookie, n) }
func (f *cachedFile) Close() error                                   { return f.f.Close() }
