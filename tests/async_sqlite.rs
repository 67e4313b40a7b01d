//! Async enrichment inside the use case's SQLite transaction: a translator
//! reads the row the use case inserted and has not committed, and the
//! integration event it stages is stored in the outbox with that row, or
//! neither is.

use std::sync::{Arc, Mutex};

use event_core::prelude::*;
use event_core::sqlite::{SqliteOutbox, SqliteTx, SqliteUnitOfWork};
use event_core::{BoxError, DispatchError, DomainBus, TranslateError};
use rusqlite::{Connection, OptionalExtension, params};

/// A book was lent to a member.
#[domain_event]
pub struct BookLent {
    pub book_id: String,
    pub member_id: String,
}

/// A book was lent, for other contexts: with its title, which the domain
/// event does not carry.
#[integration_event(version = 1, maps_from = BookLent)]
pub struct BookLentIntegrationEvent {
    pub book_id: String,
    pub member_id: String,
    #[event(context)]
    pub title: String,
}

/// The library's bus: a translator whose enrichment reads the book's title
/// in the use case's transaction, and an async handler that refuses
/// suspended members, also by reading in that transaction.
fn bus() -> DomainBus<SqliteTx> {
    let mut bus = DomainBus::<SqliteTx>::default();
    bus.translate_async::<BookLent, BookLentIntegrationEvent>(|e, tx| {
        Box::pin(async move {
            tokio::task::yield_now().await;
            let title: Option<String> = tx
                .query_row(
                    "SELECT title FROM books WHERE id = ?1",
                    params![e.data().book_id],
                    |row| row.get(0),
                )
                .optional()?;
            let title = title.ok_or_else(|| format!("no book {}", e.data().book_id))?;
            Ok(BookLentIntegrationEventContext { title })
        })
    });
    bus.subscribe_async(|e: &Envelope<BookLent>, tx| {
        Box::pin(async move {
            let suspended: bool = tx.query_row(
                "SELECT COUNT(*) > 0 FROM suspensions WHERE member_id = ?1",
                params![e.data().member_id],
                |row| row.get(0),
            )?;
            if suspended {
                return Err(BoxError::from("the member is suspended"));
            }
            Ok(())
        })
    });
    bus
}

fn database() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    SqliteOutbox::install(&conn).unwrap();
    conn.execute_batch(
        "CREATE TABLE books (id TEXT PRIMARY KEY, title TEXT NOT NULL);
         CREATE TABLE suspensions (member_id TEXT PRIMARY KEY);",
    )
    .unwrap();
    conn
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// How the use case ends once the bus has run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Commit,
    RollBack,
}

/// The use case: adds a book and lends it, in one unit of work; the member
/// is suspended first, in the same transaction, when asked.
fn add_and_lend(
    conn: &mut Connection,
    bus: &DomainBus<SqliteTx>,
    book_id: &str,
    member_id: &str,
    suspend: bool,
    ending: Ending,
) -> Result<usize, DispatchError> {
    let mut work = SqliteUnitOfWork::begin(conn).unwrap();
    work.transaction()
        .execute(
            "INSERT INTO books (id, title) VALUES (?1, ?2)",
            params![book_id, format!("title of {book_id}")],
        )
        .unwrap();
    if suspend {
        work.transaction()
            .execute(
                "INSERT INTO suspensions (member_id) VALUES (?1)",
                params![member_id],
            )
            .unwrap();
    }
    let lent = Envelope::new(
        "/library",
        BookLent {
            book_id: book_id.into(),
            member_id: member_id.into(),
        },
    );
    // `?`: the unit of work is dropped, and its transaction rolls back.
    runtime().block_on(bus.publish_async(&mut work, &lent))?;
    match ending {
        Ending::Commit => Ok(work.commit().unwrap()),
        Ending::RollBack => {
            work.rollback().unwrap();
            Ok(0)
        }
    }
}

fn books(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT id FROM books ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The integration events in the outbox, as (book, title).
fn outbox(conn: &Connection) -> Vec<(String, String)> {
    conn.prepare("SELECT payload FROM event_outbox ORDER BY seq")
        .unwrap()
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|payload| {
            let e = Envelope::<BookLentIntegrationEvent>::from_json(payload.unwrap()).unwrap();
            let data = e.into_data();
            (data.book_id, data.title)
        })
        .collect()
}

#[test]
fn the_enrichment_reads_the_uncommitted_row_and_the_event_commits_with_it() {
    let mut conn = database();
    let bus = bus();
    let stored = add_and_lend(&mut conn, &bus, "b-1", "m-1", false, Ending::Commit).unwrap();
    assert_eq!(stored, 1);
    assert_eq!(books(&conn), ["b-1"]);
    assert_eq!(
        outbox(&conn),
        [("b-1".to_owned(), "title of b-1".to_owned())]
    );
    assert_eq!(SqliteOutbox::pending(&conn).unwrap(), 1);
}

#[test]
fn a_rollback_leaves_neither_the_row_nor_the_message() {
    let mut conn = database();
    let bus = bus();
    add_and_lend(&mut conn, &bus, "b-1", "m-1", false, Ending::Commit).unwrap();
    add_and_lend(&mut conn, &bus, "b-2", "m-1", false, Ending::RollBack).unwrap();
    assert_eq!(books(&conn), ["b-1"]);
    assert_eq!(
        outbox(&conn),
        [("b-1".to_owned(), "title of b-1".to_owned())]
    );
}

#[test]
fn an_async_handler_error_aborts_the_use_case() {
    let mut conn = database();
    let bus = bus();
    // The suspension is uncommitted too: the handler reads it in the same
    // transaction, after the translator has staged its event.
    let error = add_and_lend(&mut conn, &bus, "b-1", "m-9", true, Ending::Commit).unwrap_err();
    assert_eq!(error.event_type, "book.lent.v1");
    assert_eq!(error.error.to_string(), "the member is suspended");
    assert!(books(&conn).is_empty());
    assert!(outbox(&conn).is_empty());
    let suspensions: i64 = conn
        .query_row("SELECT COUNT(*) FROM suspensions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(suspensions, 0);
}

#[test]
fn a_failed_enrichment_aborts_the_use_case_with_a_translate_error() {
    let mut conn = database();
    let bus = bus();
    let mut work = SqliteUnitOfWork::begin(&mut conn).unwrap();
    let lent = Envelope::new(
        "/library",
        BookLent {
            book_id: "b-missing".into(),
            member_id: "m-1".into(),
        },
    );
    let error = runtime()
        .block_on(bus.publish_async(&mut work, &lent))
        .unwrap_err();
    drop(work);
    match error.error.downcast_ref::<TranslateError>() {
        Some(TranslateError::Enrich(e)) => assert_eq!(e.to_string(), "no book b-missing"),
        other => panic!("not an enrichment error: {other:?}"),
    }
    assert!(outbox(&conn).is_empty());
}

#[test]
fn sync_and_async_handlers_share_the_order_and_the_transaction() {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut bus = DomainBus::<SqliteTx>::default();
    let first = Arc::clone(&log);
    bus.subscribe(move |_: &Envelope<BookLent>| -> Result<(), BoxError> {
        first.lock().unwrap().push("sync".into());
        Ok(())
    });
    let second = Arc::clone(&log);
    bus.subscribe_async(move |e: &Envelope<BookLent>, tx| {
        let log = Arc::clone(&second);
        Box::pin(async move {
            // Writes in the use case's transaction, as a projection would.
            tx.execute(
                "UPDATE books SET title = title || ' (lent)' WHERE id = ?1",
                params![e.data().book_id],
            )?;
            log.lock().unwrap().push("async write".into());
            Ok(())
        })
    });
    // Subscribed last: it sees what the handler before it wrote.
    bus.translate_async::<BookLent, BookLentIntegrationEvent>(|e, tx| {
        Box::pin(async move {
            let title = tx.query_row(
                "SELECT title FROM books WHERE id = ?1",
                params![e.data().book_id],
                |row| row.get(0),
            )?;
            Ok(BookLentIntegrationEventContext { title })
        })
    });
    let third = Arc::clone(&log);
    bus.subscribe(move |_: &Envelope<BookLent>| -> Result<(), BoxError> {
        third.lock().unwrap().push("sync again".into());
        Ok(())
    });
    let mut conn = database();
    add_and_lend(&mut conn, &bus, "b-1", "m-1", false, Ending::Commit).unwrap();
    assert_eq!(*log.lock().unwrap(), ["sync", "async write", "sync again"]);
    assert_eq!(
        outbox(&conn),
        [("b-1".to_owned(), "title of b-1 (lent)".to_owned())]
    );
}
