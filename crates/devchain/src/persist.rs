//! The data directory: blocks in Bitcoin Core's framing (`blocks.dat`: network magic, length,
//! block), invalidated block hashes, the mempool, and the faucet key.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Block, BlockHash, Transaction};

/// Regtest's network magic, which frames each block as in Core's `blk*.dat` files.
const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// Files of one chain's data directory.
pub(crate) struct DataDir {
    root: PathBuf,
}

/// A mempool transaction as saved: the transaction and its entry time.
pub(crate) struct SavedMempoolTx {
    pub tx: Transaction,
    pub time: u64,
}

impl DataDir {
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Every saved block, in the order mined. A torn last record (a crash mid-write) is
    /// ignored, and cut off so later appends stay readable.
    pub fn load_blocks(&self) -> io::Result<Vec<Block>> {
        let path = self.path("blocks.dat");
        let Ok(file) = File::open(&path) else {
            return Ok(Vec::new());
        };
        let mut reader = BufReader::new(file);
        let mut blocks = Vec::new();
        let mut good_len = 0u64;
        loop {
            let mut head = [0u8; 8];
            if reader.read_exact(&mut head).is_err() || head[..4] != REGTEST_MAGIC {
                break;
            }
            let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                break;
            }
            match deserialize::<Block>(&body) {
                Ok(block) => blocks.push(block),
                Err(_) => break,
            }
            good_len += 8 + len as u64;
        }
        let file_len = fs::metadata(&path)?.len();
        if good_len < file_len {
            tracing::warn!(path = %path.display(), good_len, file_len, "truncating a torn block record");
            OpenOptions::new()
                .write(true)
                .open(&path)?
                .set_len(good_len)?;
        }
        Ok(blocks)
    }

    /// Appends blocks without waiting for the disk (see `sync_blocks`).
    pub fn append_blocks(&self, blocks: &[Block]) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("blocks.dat"))?;
        let mut buffer = Vec::new();
        for block in blocks {
            let bytes = serialize(block);
            buffer.extend_from_slice(&REGTEST_MAGIC);
            buffer.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            buffer.extend_from_slice(&bytes);
        }
        file.write_all(&buffer)
    }

    /// Waits until appended blocks are on disk.
    pub fn sync_blocks(&self) -> io::Result<()> {
        match File::open(self.path("blocks.dat")) {
            Ok(file) => file.sync_data(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub fn load_invalidated(&self) -> io::Result<Vec<BlockHash>> {
        let Ok(text) = fs::read_to_string(self.path("invalidated.txt")) else {
            return Ok(Vec::new());
        };
        Ok(text
            .lines()
            .filter_map(|line| line.trim().parse().ok())
            .collect())
    }

    pub fn add_invalidated(&self, hash: BlockHash) -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("invalidated.txt"))?;
        writeln!(file, "{hash}")?;
        file.sync_data()
    }

    pub fn load_mempool(&self) -> io::Result<Vec<SavedMempoolTx>> {
        let Ok(bytes) = fs::read(self.path("mempool.dat")) else {
            return Ok(Vec::new());
        };
        let mut saved = Vec::new();
        let mut rest = &bytes[..];
        while rest.len() >= 12 {
            let time = u64::from_le_bytes(rest[..8].try_into().unwrap_or_default());
            let len = u32::from_le_bytes(rest[8..12].try_into().unwrap_or_default()) as usize;
            if rest.len() < 12 + len {
                break;
            }
            if let Ok(tx) = deserialize::<Transaction>(&rest[12..12 + len]) {
                saved.push(SavedMempoolTx { tx, time });
            }
            rest = &rest[12 + len..];
        }
        Ok(saved)
    }

    /// Replaces the saved mempool atomically (write a temporary file, then rename).
    pub fn save_mempool<'a>(
        &self,
        entries: impl Iterator<Item = (&'a Transaction, u64)>,
    ) -> io::Result<()> {
        let mut buffer = Vec::new();
        for (tx, time) in entries {
            let bytes = serialize(tx);
            buffer.extend_from_slice(&time.to_le_bytes());
            buffer.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            buffer.extend_from_slice(&bytes);
        }
        let tmp = self.path("mempool.dat.tmp");
        fs::write(&tmp, &buffer)?;
        fs::rename(tmp, self.path("mempool.dat"))
    }

    /// The faucet's secret key, made on first use.
    pub fn faucet_secret(&self) -> io::Result<SecretKey> {
        let path = self.path("faucet.key");
        if let Ok(text) = fs::read_to_string(&path) {
            if let Ok(key) = text.trim().parse::<SecretKey>() {
                return Ok(key);
            }
        }
        let key = SecretKey::new(&mut bitcoin::secp256k1::rand::thread_rng());
        fs::write(&path, key.display_secret().to_string())?;
        Ok(key)
    }
}
