-- tether schema, version 003: tell the workers when a session stops being
-- live. Each worker keeps a small cache of the sessions it has just seen
-- live, so that verifying an access token needs no round trip; a worker
-- LISTENs on tether_session_end and drops the entry named by each
-- notification before it answers its next request. PostgreSQL sends a
-- notification at commit, to every listener, whoever made the change:
-- a worker on another host, tetherctl, or an administrator in psql.
-- The payload is a session id, or '' for "forget every entry".

CREATE FUNCTION tether_notify_session_end() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'users' THEN
		PERFORM pg_notify('tether_session_end', '');
	ELSIF TG_TABLE_NAME = 'access_blacklist' THEN
		PERFORM pg_notify('tether_session_end', coalesce(NEW.session_id::text, ''));
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('tether_session_end', OLD.id::text);
	ELSE
		PERFORM pg_notify('tether_session_end', NEW.id::text);
	END IF;
	RETURN NULL;
END
$$;

-- A session that ends, or whose limits change. Not a touch of
-- last_active_at: that happens once a minute per active session (and on
-- every refresh) and must neither empty anyone's cache nor cost anything;
-- with the column list, PostgreSQL does not even look at this trigger for
-- an UPDATE that sets none of these columns.
CREATE TRIGGER sessions_notify_change
	AFTER UPDATE OF ended_at, absolute_expires_at, idle_timeout_s, user_id ON sessions
	FOR EACH ROW
	WHEN (OLD.ended_at IS DISTINCT FROM NEW.ended_at
		OR OLD.absolute_expires_at IS DISTINCT FROM NEW.absolute_expires_at
		OR OLD.idle_timeout_s IS DISTINCT FROM NEW.idle_timeout_s
		OR OLD.user_id IS DISTINCT FROM NEW.user_id)
	EXECUTE FUNCTION tether_notify_session_end();

-- A live session deleted (its user was deleted). Cleanup deletes only
-- sessions that ended long ago, and stays silent.
CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions
	FOR EACH ROW WHEN (OLD.ended_at IS NULL)
	EXECUTE FUNCTION tether_notify_session_end();

-- A jti blacklisted by hand: its session's entry must go too. (tether
-- itself blacklists only as a session ends; PostgreSQL folds identical
-- notifications of one transaction into one.)
CREATE TRIGGER access_blacklist_notify AFTER INSERT ON access_blacklist
	FOR EACH ROW EXECUTE FUNCTION tether_notify_session_end();

-- A user disabled, or renamed: a cached entry holds the user too.
CREATE TRIGGER users_notify_change
	AFTER UPDATE OF disabled, email, display_name ON users
	FOR EACH ROW
	WHEN (OLD.disabled IS DISTINCT FROM NEW.disabled
		OR OLD.email IS DISTINCT FROM NEW.email
		OR OLD.display_name IS DISTINCT FROM NEW.display_name)
	EXECUTE FUNCTION tether_notify_session_end();
