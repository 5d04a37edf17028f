package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/caremarket/caremarket"
	"github.com/caremarket/caremarket/storage"
)

func init() {
	register("backup", "make a consistent online backup of the SQLite database (checked, optionally encrypted)", backup)
	register("backup key", "write a new backup key file (keep it apart from the backups)", backupKey)
	register("restore", "restore a backup made by 'caremarket backup' after checking it", restore)
}

// ageHeader starts every age-encrypted file: a backup that begins with it
// needs --key-file to restore.
const ageHeader = "age-encryption.org/v1"

// backup copies the live SQLite database with VACUUM INTO (the server may
// keep running), checks the copy (integrity and the audit chain), and then
// encrypts it with age when a key file is given. A backup that fails its
// check is not left behind.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("backup", stderr)
	out := fs.String("out", "", "file to write the backup to (required; must not exist)")
	keyFile := fs.String("key-file", "", "age key file (from 'caremarket backup key'): encrypt the backup to it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return caremarket.Errorf(caremarket.EINVALID, "--out is required: the file to write the backup to")
	}
	if d.url != "" {
		return caremarket.Errorf(caremarket.EINVALID, "on PostgreSQL back up with pg_dump --format=custom (the README's 'Operating caremarket' section gives the commands)")
	}
	if _, err := os.Stat(*out); err == nil {
		return caremarket.Errorf(caremarket.EINVALID, "%s already exists: choose a new file name", *out)
	}
	var recipient age.Recipient
	if *keyFile != "" {
		id, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		recipient = id.Recipient()
	}
	// Open only: a backup reads one snapshot and takes no write lock, so a
	// busy server's writers never hold it up (migrating would).
	db, err := d.openOnly(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	plain := *out
	if recipient != nil {
		plain = *out + ".plain-tmp"
		defer os.Remove(plain)
	}
	if err := db.BackupTo(ctx, plain); err != nil {
		return err
	}
	records, err := checkDatabaseFile(ctx, plain)
	if err != nil {
		os.Remove(plain)
		return fmt.Errorf("the backup failed its check and was removed: %w", err)
	}
	if recipient != nil {
		if err := encryptFile(plain, *out, recipient); err != nil {
			os.Remove(*out)
			return err
		}
	}
	info, err := os.Stat(*out)
	if err != nil {
		return err
	}
	how := "not encrypted"
	if recipient != nil {
		how = "encrypted with " + *keyFile
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes, %s): integrity check ok, %d audit records verified\n", *out, info.Size(), how, records)
	return nil
}

// restore checks a backup (decrypting it first when it is encrypted) and
// only then puts it in place of the database file. An existing database is
// overwritten only with --force: stop the server first.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := newDBFlags("restore", stderr)
	keyFile := fs.String("key-file", "", "age key file the backup was encrypted to")
	force := fs.Bool("force", false, "overwrite an existing database file (stop the server first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Flags may follow the file name too (restore BACKUP --db FILE).
	var files []string
	for fs.NArg() > 0 {
		files = append(files, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if len(files) != 1 {
		return caremarket.Errorf(caremarket.EINVALID, "name one backup file: caremarket restore [--force] [--key-file K] --db caremarket.db BACKUP")
	}
	if d.url != "" {
		return caremarket.Errorf(caremarket.EINVALID, "on PostgreSQL restore with pg_restore (the README's 'Operating caremarket' section gives the commands)")
	}
	src := files[0]
	if _, err := os.Stat(d.path); err == nil && !*force {
		return caremarket.Errorf(caremarket.ECONFLICT, "%s already exists: restore refuses to overwrite a database without --force (stop the server first)", d.path)
	}
	staged := d.path + ".restoring"
	defer os.Remove(staged)
	if err := stageBackup(src, staged, *keyFile); err != nil {
		return err
	}
	records, err := checkDatabaseFile(ctx, staged)
	if err != nil {
		return fmt.Errorf("the backup failed its check; nothing was restored: %w", err)
	}
	// The old file's write-ahead log belongs to the old database: it must
	// not be replayed onto the restored one.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(d.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(staged, d.path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s: integrity check ok, %d audit records verified\n", d.path, src, records)
	return nil
}

func backupKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup key", stderr)
	out := fs.String("out", "", "file to write the key to (required; must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return caremarket.Errorf(caremarket.EINVALID, "--out is required: the file to write the key to")
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# caremarket backup key: whoever holds it can read the backups. Keep it apart from them.\n# public key: %s\n%s\n", id.Recipient(), id)
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key written to %s (public key %s)\n", *out, id.Recipient())
	return nil
}

func readKey(path string) (*age.X25519Identity, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, caremarket.Errorf(caremarket.EINVALID, "cannot read the key file: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			return age.ParseX25519Identity(line)
		}
	}
	return nil, caremarket.Errorf(caremarket.EINVALID, "%s holds no key (make one with: caremarket backup key --out FILE)", path)
}

func encryptFile(plain, out string, to age.Recipient) error {
	in, err := os.Open(plain)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	w, err := age.Encrypt(f, to)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		f.Close()
		return err
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stageBackup copies (and, when encrypted, decrypts) src to dst.
func stageBackup(src, dst, keyFile string) error {
	in, err := os.Open(src)
	if err != nil {
		return caremarket.Errorf(caremarket.EINVALID, "cannot read the backup: %v", err)
	}
	defer in.Close()
	head := make([]byte, len(ageHeader))
	n, _ := io.ReadFull(in, head)
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var r io.Reader = in
	if string(head[:n]) == ageHeader {
		if keyFile == "" {
			return caremarket.Errorf(caremarket.EINVALID, "%s is encrypted: give the key file with --key-file", filepath.Base(src))
		}
		id, err := readKey(keyFile)
		if err != nil {
			return err
		}
		if r, err = age.Decrypt(in, id); err != nil {
			return caremarket.Errorf(caremarket.EINVALID, "cannot decrypt %s with that key: %v", filepath.Base(src), err)
		}
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return caremarket.Errorf(caremarket.EINVALID, "cannot read the backup: %v", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// checkDatabaseFile opens a SQLite file read as it stands (no migration),
// runs the integrity check and verifies the audit chain.
func checkDatabaseFile(ctx context.Context, path string) (int, error) {
	db, err := storage.Open(ctx, storage.Config{SQLitePath: path})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		return 0, err
	}
	n, broken, err := db.VerifyAudit(ctx)
	if err != nil {
		return 0, err
	}
	if broken != nil {
		return n, fmt.Errorf("audit log broken at record %d: %s", broken.ID, broken.Reason)
	}
	return n, nil
}
