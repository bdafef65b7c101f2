//! A fault-injecting SQLite VFS: it wraps the default ("unix") VFS, delegates every call to
//! it, and fails the N-th `xWrite`, `xSync`, `xTruncate`, `xRead`, `xShmMap` or `xShmLock`
//! (a lock, not an unlock) when a test asks, once or from then on ("the disk went bad"). It
//! also counts those calls, so a test can measure a workload and then fail each call in turn.
//!
//! Open a store through it with a URI (the store's connection accepts URIs):
//! `Store::open(faultvfs::uri(&path, name), key)`. The WAL's shared-memory index is written
//! through `mmap`: once `xShmMap` has handed out a region, SQLite reads and writes it as
//! memory, so only the mapping and the locking can be faulted, not the accesses.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CString};
use std::mem::size_of;
use std::path::Path;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::ffi;

/// The file operations a fault can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `xWrite`: fails with `SQLITE_IOERR_WRITE` (or `SQLITE_FULL`).
    Write,
    /// `xSync`: fails with `SQLITE_IOERR_FSYNC`.
    Sync,
    /// `xTruncate`: fails with `SQLITE_IOERR_TRUNCATE`.
    Truncate,
    /// `xRead` (database and WAL file): fails with `SQLITE_IOERR_READ`, reading nothing. (A
    /// short read is no error to SQLite — it zero-fills — so none is injected.)
    Read,
    /// `xShmMap` (a region of the WAL index): fails with `SQLITE_IOERR_SHMMAP`, mapping
    /// nothing.
    ShmMap,
    /// `xShmLock` taking a lock (shared or exclusive): fails with `SQLITE_IOERR_SHMLOCK`,
    /// taking nothing. Unlocks are neither counted nor failed: SQLite ignores their result,
    /// so a failed unlock would only leave a lock held behind its back.
    ShmLock,
}

impl Op {
    /// Every kind, in counting order.
    pub const ALL: [Op; 6] = [
        Op::Write,
        Op::Sync,
        Op::Truncate,
        Op::Read,
        Op::ShmMap,
        Op::ShmLock,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// The kinds that go bad together in [`Mode::FromThenOn`]: writing (writes, syncs,
    /// truncates), reading, and the shared-memory WAL index (maps and locks).
    pub fn group(self) -> u8 {
        match self {
            Op::Write | Op::Sync | Op::Truncate => 0,
            Op::Read => 1,
            Op::ShmMap | Op::ShmLock => 2,
        }
    }
}

/// How long a fault lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only the chosen call fails; the disk is fine again afterwards.
    Once,
    /// The chosen call and every later call of its group ([`Op::group`]) fail: after a
    /// write, sync or truncate every write, sync and truncate; after a read every read (the
    /// disk can no longer be read, but still written); after a shared-memory map or lock
    /// every map and lock.
    FromThenOn,
}

/// One planned fault: the `nth` (1-based) call of `op` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Which kind of call.
    pub op: Op,
    /// Which call of that kind, counting from 1 since the plan was last reset.
    pub nth: u64,
    /// Once or from then on.
    pub mode: Mode,
    /// A failing write reports `SQLITE_FULL` (disk full) instead of `SQLITE_IOERR_WRITE`
    /// (other kinds ignore it).
    pub full: bool,
}

#[derive(Debug, Default)]
struct PlanState {
    calls: [u64; Op::ALL.len()],
    fault: Option<Fault>,
    broken: Option<u8>,
    fired: u64,
}

/// The shared, thread-safe plan of one registered VFS: counts calls and decides failures.
#[derive(Debug, Default)]
pub struct FaultPlan {
    state: Mutex<PlanState>,
}

impl FaultPlan {
    fn lock(&self) -> MutexGuard<'_, PlanState> {
        // Never panic inside a VFS callback: a poisoned plan is still a plan.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Zeroes the counters and removes any fault.
    pub fn reset(&self) {
        *self.lock() = PlanState::default();
    }

    /// Zeroes the counters and plans `fault`.
    pub fn arm(&self, fault: Fault) {
        *self.lock() = PlanState {
            fault: Some(fault),
            ..PlanState::default()
        };
    }

    /// Calls of `op` made since the last reset (failed ones included).
    pub fn calls(&self, op: Op) -> u64 {
        self.lock().calls[op.index()]
    }

    /// How many calls were failed since the last reset.
    pub fn fired(&self) -> u64 {
        self.lock().fired
    }

    /// Counts a call of `op`; the SQLite error code to fail it with, if it must fail.
    fn check(&self, op: Op) -> Option<c_int> {
        let mut s = self.lock();
        s.calls[op.index()] += 1;
        let n = s.calls[op.index()];
        let fault = s.fault?;
        let hit = fault.op == op && n == fault.nth;
        if !(hit || s.broken == Some(op.group())) {
            return None;
        }
        if hit && fault.mode == Mode::FromThenOn {
            s.broken = Some(op.group());
        }
        s.fired += 1;
        Some(match op {
            Op::Write if fault.full => ffi::SQLITE_FULL,
            Op::Write => ffi::SQLITE_IOERR_WRITE,
            Op::Sync => ffi::SQLITE_IOERR_FSYNC,
            Op::Truncate => ffi::SQLITE_IOERR_TRUNCATE,
            Op::Read => ffi::SQLITE_IOERR_READ,
            Op::ShmMap => ffi::SQLITE_IOERR_SHMMAP,
            Op::ShmLock => ffi::SQLITE_IOERR_SHMLOCK,
        })
    }
}

/// A `file:` URI that opens `path` through the VFS registered as `vfs`.
pub fn uri(path: &Path, vfs: &str) -> String {
    format!("file:{}?vfs={vfs}", path.display())
}

/// Registers a fault-injecting VFS named `name` over the default VFS (not as the default) and
/// returns its plan. The VFS lives as long as the process. Use a fresh name per test: SQLite
/// finds the first VFS registered under a name.
pub fn register(name: &str) -> Arc<FaultPlan> {
    // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS, which SQLite never frees.
    let real = unsafe { ffi::sqlite3_vfs_find(ptr::null()) };
    assert!(!real.is_null(), "SQLite has no default VFS");
    // SAFETY: `real` is a valid, registered VFS (checked non-null above).
    let real_ref = unsafe { &*real };
    let plan = Arc::new(FaultPlan::default());
    let name = CString::new(name).expect("a VFS name without NUL");
    let vfs = Box::leak(Box::new(FaultVfs {
        base: ffi::sqlite3_vfs {
            // Version 2: up to xCurrentTimeInt64; the system-call overrides (version 3) are
            // left out, so SQLite never asks for them.
            iVersion: 2,
            szOsFile: (size_of::<FaultFile>() as c_int) + real_ref.szOsFile,
            mxPathname: real_ref.mxPathname,
            pNext: ptr::null_mut(),
            zName: name.as_ptr(),
            pAppData: ptr::null_mut(),
            xOpen: Some(vfs_open),
            xDelete: Some(vfs_delete),
            xAccess: Some(vfs_access),
            xFullPathname: Some(vfs_full_pathname),
            xDlOpen: Some(vfs_dl_open),
            xDlError: Some(vfs_dl_error),
            xDlSym: Some(vfs_dl_sym),
            xDlClose: Some(vfs_dl_close),
            xRandomness: Some(vfs_randomness),
            xSleep: Some(vfs_sleep),
            xCurrentTime: Some(vfs_current_time),
            xGetLastError: Some(vfs_get_last_error),
            xCurrentTimeInt64: Some(vfs_current_time_int64),
            xSetSystemCall: None,
            xGetSystemCall: None,
            xNextSystemCall: None,
        },
        real,
        plan: plan.clone(),
        _name: name,
    }));
    // SAFETY: `vfs.base` is fully initialised and leaked, so it outlives every connection.
    let rc = unsafe { ffi::sqlite3_vfs_register(&mut vfs.base, 0) };
    assert_eq!(rc, ffi::SQLITE_OK, "registering the VFS failed");
    plan
}

/// The registered VFS. `base` must stay the first field: SQLite hands callbacks a pointer to
/// it, which is cast back to the whole struct.
#[repr(C)]
struct FaultVfs {
    base: ffi::sqlite3_vfs,
    real: *mut ffi::sqlite3_vfs,
    plan: Arc<FaultPlan>,
    _name: CString,
}

/// An open file. `base` must stay the first field (SQLite sees only it); the real VFS's file
/// lives in the same allocation, right after this struct (`szOsFile` covers both).
#[repr(C)]
struct FaultFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    plan: *const FaultPlan,
}

/// # Safety
/// `vfs` must be the `base` of a registered [`FaultVfs`].
unsafe fn parts(vfs: *mut ffi::sqlite3_vfs) -> (&'static FaultVfs, *mut ffi::sqlite3_vfs) {
    // SAFETY: by the caller's contract; `FaultVfs` is `repr(C)` with `base` first and leaked.
    let v = unsafe { &*(vfs as *const FaultVfs) };
    (v, v.real)
}

/// Calls the real VFS's method `$m` with the real VFS in place of ours.
macro_rules! real_vfs {
    ($vfs:expr, $m:ident, $fallback:expr $(, $arg:expr)*) => {{
        // SAFETY: SQLite calls these methods only on the VFS it found, which is a `FaultVfs`.
        let (_, real) = unsafe { parts($vfs) };
        // SAFETY: `real` is the live default VFS; the arguments are SQLite's own, unchanged.
        match unsafe { (*real).$m } {
            Some(f) => unsafe { f(real $(, $arg)*) },
            None => $fallback,
        }
    }};
}

unsafe extern "C" fn vfs_open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite calls xOpen on the VFS it found by name, a `FaultVfs`.
    let (v, real_vfs) = unsafe { parts(vfs) };
    let f = file as *mut FaultFile;
    // SAFETY: SQLite gave `file` `szOsFile` bytes: a `FaultFile` followed by the real file's
    // `szOsFile` bytes. `FaultFile`'s size is a multiple of pointer alignment, so the real
    // file is aligned as SQLite aligns its own.
    let real = unsafe { (file as *mut u8).add(size_of::<FaultFile>()) } as *mut ffi::sqlite3_file;
    // SAFETY: both pointers lie inside the allocation above. A null `pMethods` tells SQLite
    // not to call xClose if the open fails.
    unsafe {
        (*file).pMethods = ptr::null();
        (*real).pMethods = ptr::null();
    }
    // SAFETY: the real VFS opens into its own part of the allocation with SQLite's arguments.
    let rc = match unsafe { (*real_vfs).xOpen } {
        Some(open) => unsafe { open(real_vfs, name, real, flags, out_flags) },
        None => ffi::SQLITE_CANTOPEN,
    };
    // SAFETY: after xOpen, `(*real).pMethods` is null or the real file's method table.
    let methods = unsafe { (*real).pMethods };
    if rc != ffi::SQLITE_OK {
        // Contract: a file whose pMethods is set is closed even when the open failed.
        if !methods.is_null() {
            // SAFETY: the real file has methods, so it may (and must) be closed.
            if let Some(close) = unsafe { (*methods).xClose } {
                unsafe { close(real) };
            }
        }
        return rc;
    }
    // SAFETY: the open succeeded, so `methods` is the real file's (static) method table.
    let ours: &'static ffi::sqlite3_io_methods = match unsafe { (*methods).iVersion } {
        1 => &METHODS_V1,
        2 => &METHODS_V2,
        _ => &METHODS_V3,
    };
    // SAFETY: `f` points to the start of the allocation, sized and aligned for a `FaultFile`.
    unsafe {
        f.write(FaultFile {
            base: ffi::sqlite3_file { pMethods: ours },
            real,
            plan: Arc::as_ptr(&v.plan),
        })
    };
    ffi::SQLITE_OK
}

unsafe extern "C" fn vfs_delete(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    real_vfs!(vfs, xDelete, ffi::SQLITE_IOERR_DELETE, name, sync_dir)
}

unsafe extern "C" fn vfs_access(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    flags: c_int,
    out: *mut c_int,
) -> c_int {
    real_vfs!(vfs, xAccess, ffi::SQLITE_IOERR_ACCESS, name, flags, out)
}

unsafe extern "C" fn vfs_full_pathname(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    real_vfs!(vfs, xFullPathname, ffi::SQLITE_CANTOPEN, name, n, out)
}

unsafe extern "C" fn vfs_dl_open(vfs: *mut ffi::sqlite3_vfs, name: *const c_char) -> *mut c_void {
    real_vfs!(vfs, xDlOpen, ptr::null_mut(), name)
}

unsafe extern "C" fn vfs_dl_error(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) {
    real_vfs!(vfs, xDlError, (), n, out)
}

unsafe extern "C" fn vfs_dl_sym(
    vfs: *mut ffi::sqlite3_vfs,
    handle: *mut c_void,
    symbol: *const c_char,
) -> Option<unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char)> {
    real_vfs!(vfs, xDlSym, None, handle, symbol)
}

unsafe extern "C" fn vfs_dl_close(vfs: *mut ffi::sqlite3_vfs, handle: *mut c_void) {
    real_vfs!(vfs, xDlClose, (), handle)
}

unsafe extern "C" fn vfs_randomness(
    vfs: *mut ffi::sqlite3_vfs,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    real_vfs!(vfs, xRandomness, 0, n, out)
}

unsafe extern "C" fn vfs_sleep(vfs: *mut ffi::sqlite3_vfs, micros: c_int) -> c_int {
    real_vfs!(vfs, xSleep, 0, micros)
}

unsafe extern "C" fn vfs_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    real_vfs!(vfs, xCurrentTime, ffi::SQLITE_ERROR, out)
}

unsafe extern "C" fn vfs_get_last_error(
    vfs: *mut ffi::sqlite3_vfs,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    real_vfs!(vfs, xGetLastError, 0, n, out)
}

unsafe extern "C" fn vfs_current_time_int64(vfs: *mut ffi::sqlite3_vfs, out: *mut i64) -> c_int {
    real_vfs!(vfs, xCurrentTimeInt64, ffi::SQLITE_ERROR, out)
}

/// Calls the real file's method `$m` (or returns `$fallback` if it has none).
macro_rules! real_file {
    ($file:expr, $m:ident, $fallback:expr $(, $arg:expr)*) => {{
        // SAFETY: SQLite calls file methods only on files our xOpen opened successfully, whose
        // `real` points to the open real file in the same allocation.
        let real = unsafe { (*($file as *mut FaultFile)).real };
        // SAFETY: the real file is open, so its `pMethods` is its method table; the
        // arguments are SQLite's own, unchanged.
        match unsafe { (*(*real).pMethods).$m } {
            Some(f) => unsafe { f(real $(, $arg)*) },
            None => $fallback,
        }
    }};
}

/// Counts a call of `op` on `file`; the error code to fail it with, if the plan says so.
///
/// # Safety
/// `file` must be a file our xOpen opened successfully.
unsafe fn planned_failure(file: *mut ffi::sqlite3_file, op: Op) -> Option<c_int> {
    // SAFETY: by the caller's contract; `plan` points into the leaked `FaultVfs`.
    let plan = unsafe { &*(*(file as *mut FaultFile)).plan };
    plan.check(op)
}

unsafe extern "C" fn file_close(file: *mut ffi::sqlite3_file) -> c_int {
    real_file!(file, xClose, ffi::SQLITE_OK)
}

unsafe extern "C" fn file_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: SQLite calls xRead only on files our xOpen opened.
    if let Some(rc) = unsafe { planned_failure(file, Op::Read) } {
        return rc;
    }
    real_file!(file, xRead, ffi::SQLITE_IOERR_READ, buf, amount, offset)
}

unsafe extern "C" fn file_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: SQLite calls xWrite only on files our xOpen opened.
    if let Some(rc) = unsafe { planned_failure(file, Op::Write) } {
        return rc;
    }
    real_file!(file, xWrite, ffi::SQLITE_IOERR_WRITE, buf, amount, offset)
}

unsafe extern "C" fn file_truncate(
    file: *mut ffi::sqlite3_file,
    size: ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: SQLite calls xTruncate only on files our xOpen opened.
    if let Some(rc) = unsafe { planned_failure(file, Op::Truncate) } {
        return rc;
    }
    real_file!(file, xTruncate, ffi::SQLITE_IOERR_TRUNCATE, size)
}

unsafe extern "C" fn file_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: SQLite calls xSync only on files our xOpen opened.
    if let Some(rc) = unsafe { planned_failure(file, Op::Sync) } {
        return rc;
    }
    real_file!(file, xSync, ffi::SQLITE_IOERR_FSYNC, flags)
}

unsafe extern "C" fn file_size(
    file: *mut ffi::sqlite3_file,
    out: *mut ffi::sqlite3_int64,
) -> c_int {
    real_file!(file, xFileSize, ffi::SQLITE_IOERR_FSTAT, out)
}

unsafe extern "C" fn file_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    real_file!(file, xLock, ffi::SQLITE_IOERR_LOCK, level)
}

unsafe extern "C" fn file_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    real_file!(file, xUnlock, ffi::SQLITE_IOERR_UNLOCK, level)
}

unsafe extern "C" fn file_check_reserved_lock(
    file: *mut ffi::sqlite3_file,
    out: *mut c_int,
) -> c_int {
    real_file!(
        file,
        xCheckReservedLock,
        ffi::SQLITE_IOERR_CHECKRESERVEDLOCK,
        out
    )
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    real_file!(file, xFileControl, ffi::SQLITE_NOTFOUND, op, arg)
}

unsafe extern "C" fn file_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    real_file!(file, xSectorSize, 4096)
}

unsafe extern "C" fn file_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    real_file!(file, xDeviceCharacteristics, 0)
}

unsafe extern "C" fn file_shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: SQLite calls xShmMap only on files our xOpen opened (with version >= 2).
    if let Some(rc) = unsafe { planned_failure(file, Op::ShmMap) } {
        // Contract: on error the output pointer is null (nothing mapped).
        // SAFETY: `out` is SQLite's pointer to where the region's address goes.
        unsafe { *out = ptr::null_mut() };
        return rc;
    }
    real_file!(
        file,
        xShmMap,
        ffi::SQLITE_IOERR_SHMMAP,
        region,
        size,
        extend,
        out
    )
}

unsafe extern "C" fn file_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    if flags & ffi::SQLITE_SHM_LOCK != 0 {
        // SAFETY: SQLite calls xShmLock only on files our xOpen opened (with version >= 2).
        if let Some(rc) = unsafe { planned_failure(file, Op::ShmLock) } {
            return rc;
        }
    }
    real_file!(file, xShmLock, ffi::SQLITE_IOERR_SHMLOCK, offset, n, flags)
}

unsafe extern "C" fn file_shm_barrier(file: *mut ffi::sqlite3_file) {
    real_file!(file, xShmBarrier, ())
}

unsafe extern "C" fn file_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    real_file!(file, xShmUnmap, ffi::SQLITE_OK, delete)
}

unsafe extern "C" fn file_fetch(
    file: *mut ffi::sqlite3_file,
    offset: ffi::sqlite3_int64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    real_file!(file, xFetch, ffi::SQLITE_OK, offset, amount, out)
}

unsafe extern "C" fn file_unfetch(
    file: *mut ffi::sqlite3_file,
    offset: ffi::sqlite3_int64,
    p: *mut c_void,
) -> c_int {
    real_file!(file, xUnfetch, ffi::SQLITE_OK, offset, p)
}

/// The method table for a real file of version `version`: the methods beyond that version
/// are left out, so SQLite never calls a method the real file lacks.
const fn methods(version: c_int) -> ffi::sqlite3_io_methods {
    ffi::sqlite3_io_methods {
        iVersion: version,
        xClose: Some(file_close),
        xRead: Some(file_read),
        xWrite: Some(file_write),
        xTruncate: Some(file_truncate),
        xSync: Some(file_sync),
        xFileSize: Some(file_size),
        xLock: Some(file_lock),
        xUnlock: Some(file_unlock),
        xCheckReservedLock: Some(file_check_reserved_lock),
        xFileControl: Some(file_control),
        xSectorSize: Some(file_sector_size),
        xDeviceCharacteristics: Some(file_device_characteristics),
        xShmMap: if version >= 2 {
            Some(file_shm_map)
        } else {
            None
        },
        xShmLock: if version >= 2 {
            Some(file_shm_lock)
        } else {
            None
        },
        xShmBarrier: if version >= 2 {
            Some(file_shm_barrier)
        } else {
            None
        },
        xShmUnmap: if version >= 2 {
            Some(file_shm_unmap)
        } else {
            None
        },
        xFetch: if version >= 3 { Some(file_fetch) } else { None },
        xUnfetch: if version >= 3 {
            Some(file_unfetch)
        } else {
            None
        },
    }
}

static METHODS_V1: ffi::sqlite3_io_methods = methods(1);
static METHODS_V2: ffi::sqlite3_io_methods = methods(2);
static METHODS_V3: ffi::sqlite3_io_methods = methods(3);
