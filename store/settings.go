package store

import "context"

// Setting reads an instance setting; ErrNotFound when unset.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	return v, notFound(err)
}

// SetSetting writes an instance setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return setSetting(ctx, s.db, key, value)
}

func setSetting(ctx context.Context, q querier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// SettingOrInit returns the setting, storing init() first if it is unset.
// Concurrent callers, in any process, all get the same value.
func (s *Store) SettingOrInit(ctx context.Context, key string, init func() (string, error)) (string, error) {
	v, err := s.Setting(ctx, key)
	if err != ErrNotFound {
		return v, err
	}
	nv, err := init()
	if err != nil {
		return "", err
	}
	if _, err := s.q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, nv); err != nil {
		return "", err
	}
	return s.Setting(ctx, key)
}

// SetSetting writes an instance setting inside a transaction.
func (tx *Tx) SetSetting(ctx context.Context, key, value string) error {
	return setSetting(ctx, tx.q, key, value)
}
