//! Async enrichment inside the use case's PostgreSQL transaction: a
//! translator reads the row the use case inserted and has not committed,
//! through the transaction's connection, and the integration event it
//! stages is appended to the outbox in that transaction, with the row, or
//! neither is. The use cases run in spawned tasks: the dispatch is `Send`.

#[path = "support/postgres.rs"]
mod pg;
#[path = "support/services.rs"]
mod services;

use std::sync::{Arc, Mutex};

use event_core::postgres::sqlx::{self, PgPool};
use event_core::postgres::{PgOutbox, PgTx};
use event_core::prelude::*;
use event_core::{BoxError, DispatchError, DomainBus, TranslateError};

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
fn bus(schema: &str) -> DomainBus<PgTx> {
    let books = Arc::<str>::from(format!(
        "SELECT title FROM \"{schema}\".books WHERE id = $1"
    ));
    let suspensions = Arc::<str>::from(format!(
        "SELECT COUNT(*) FROM \"{schema}\".suspensions WHERE member_id = $1"
    ));
    let mut bus = DomainBus::<PgTx>::default();
    bus.translate_async::<BookLent, BookLentIntegrationEvent>(move |e, conn| {
        let sql = Arc::clone(&books);
        Box::pin(async move {
            let title: Option<String> = sqlx::query_scalar(&sql)
                .bind(&e.data().book_id)
                .fetch_optional(conn)
                .await?;
            let title = title.ok_or_else(|| format!("no book {}", e.data().book_id))?;
            Ok(BookLentIntegrationEventContext { title })
        })
    });
    bus.subscribe_async(move |e: &Envelope<BookLent>, conn| {
        let sql = Arc::clone(&suspensions);
        Box::pin(async move {
            let suspended: i64 = sqlx::query_scalar(&sql)
                .bind(&e.data().member_id)
                .fetch_one(conn)
                .await?;
            if suspended > 0 {
                return Err(BoxError::from("the member is suspended"));
            }
            Ok(())
        })
    });
    bus
}

async fn create_tables(db: &pg::TestDb) {
    db.execute(&format!(
        "CREATE TABLE {} (id TEXT PRIMARY KEY, title TEXT NOT NULL);
         CREATE TABLE {} (member_id TEXT PRIMARY KEY);",
        db.table("books"),
        db.table("suspensions")
    ))
    .await;
}

/// How the use case ends once the bus has run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Commit,
    RollBack,
}

/// The use case: adds a book and lends it, in one unit of work; the member
/// is suspended first, in the same transaction, when asked.
async fn add_and_lend(
    db: &pg::TestDb,
    outbox: &PgOutbox,
    bus: &DomainBus<PgTx>,
    book_id: &str,
    member_id: &str,
    suspend: bool,
    ending: Ending,
) -> Result<usize, DispatchError> {
    let mut work = outbox.begin().await.unwrap();
    sqlx::query(&format!(
        "INSERT INTO {} (id, title) VALUES ($1, $2)",
        db.table("books")
    ))
    .bind(book_id)
    .bind(format!("title of {book_id}"))
    .execute(work.connection())
    .await
    .unwrap();
    if suspend {
        sqlx::query(&format!(
            "INSERT INTO {} (member_id) VALUES ($1)",
            db.table("suspensions")
        ))
        .bind(member_id)
        .execute(work.connection())
        .await
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
    bus.publish_async(&mut work, &lent).await?;
    match ending {
        Ending::Commit => Ok(work.commit().await.unwrap()),
        Ending::RollBack => {
            work.rollback().await.unwrap();
            Ok(0)
        }
    }
}

async fn books(db: &pg::TestDb) -> Vec<String> {
    sqlx::query_scalar(&format!("SELECT id FROM {} ORDER BY id", db.table("books")))
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// The integration events in the outbox, as (book, title).
async fn outbox_events(pool: &PgPool, db: &pg::TestDb) -> Vec<(String, String)> {
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(&format!(
        "SELECT payload FROM {} ORDER BY seq",
        db.table("event_outbox")
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    payloads
        .iter()
        .map(|payload| {
            let data = Envelope::<BookLentIntegrationEvent>::from_json(payload)
                .unwrap()
                .into_data();
            (data.book_id, data.title)
        })
        .collect()
}

#[test]
fn the_enrichment_reads_the_uncommitted_row_and_the_event_commits_with_it() {
    pg::run("async_enrichment_commit", |db| async move {
        create_tables(&db).await;
        let outbox = db.outbox();
        let bus = bus(&db.config.schema);
        let stored = add_and_lend(&db, &outbox, &bus, "b-1", "m-1", false, Ending::Commit)
            .await
            .unwrap();
        assert_eq!(stored, 1);
        assert_eq!(books(&db).await, ["b-1"]);
        assert_eq!(
            outbox_events(&db.pool, &db).await,
            [("b-1".to_owned(), "title of b-1".to_owned())]
        );
        assert_eq!(outbox.pending().await.unwrap(), 1);
    });
}

#[test]
fn a_rollback_leaves_neither_the_row_nor_the_message() {
    pg::run("async_enrichment_rollback", |db| async move {
        create_tables(&db).await;
        let outbox = db.outbox();
        let bus = bus(&db.config.schema);
        add_and_lend(&db, &outbox, &bus, "b-1", "m-1", false, Ending::Commit)
            .await
            .unwrap();
        add_and_lend(&db, &outbox, &bus, "b-2", "m-1", false, Ending::RollBack)
            .await
            .unwrap();
        assert_eq!(books(&db).await, ["b-1"]);
        assert_eq!(
            outbox_events(&db.pool, &db).await,
            [("b-1".to_owned(), "title of b-1".to_owned())]
        );
    });
}

#[test]
fn an_async_handler_error_aborts_the_use_case() {
    pg::run("async_handler_error", |db| async move {
        create_tables(&db).await;
        let outbox = db.outbox();
        let bus = bus(&db.config.schema);
        // The suspension is uncommitted too: the handler reads it in the
        // same transaction, after the translator has staged its event.
        let error = add_and_lend(&db, &outbox, &bus, "b-1", "m-9", true, Ending::Commit)
            .await
            .unwrap_err();
        assert_eq!(error.event_type, "book.lent.v1");
        assert_eq!(error.error.to_string(), "the member is suspended");
        assert!(books(&db).await.is_empty());
        assert!(outbox_events(&db.pool, &db).await.is_empty());
        let suspensions = db
            .scalar(&format!("SELECT COUNT(*) FROM {}", db.table("suspensions")))
            .await;
        assert_eq!(suspensions, 0);
    });
}

#[test]
fn a_failed_enrichment_aborts_the_use_case_with_a_translate_error() {
    pg::run("async_enrichment_error", |db| async move {
        create_tables(&db).await;
        let outbox = db.outbox();
        let bus = bus(&db.config.schema);
        let mut work = outbox.begin().await.unwrap();
        let lent = Envelope::new(
            "/library",
            BookLent {
                book_id: "b-missing".into(),
                member_id: "m-1".into(),
            },
        );
        let error = bus.publish_async(&mut work, &lent).await.unwrap_err();
        drop(work);
        match error.error.downcast_ref::<TranslateError>() {
            Some(TranslateError::Enrich(e)) => assert_eq!(e.to_string(), "no book b-missing"),
            other => panic!("not an enrichment error: {other:?}"),
        }
        assert!(outbox_events(&db.pool, &db).await.is_empty());
    });
}

#[test]
fn sync_and_async_handlers_share_the_order_and_the_transaction() {
    pg::run("async_mixed_order", |db| async move {
        create_tables(&db).await;
        let outbox = db.outbox();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let mut bus = DomainBus::<PgTx>::default();
        let first = Arc::clone(&log);
        bus.subscribe(move |_: &Envelope<BookLent>| -> Result<(), BoxError> {
            first.lock().unwrap().push("sync".into());
            Ok(())
        });
        let update: Arc<str> = format!(
            "UPDATE {} SET title = title || ' (lent)' WHERE id = $1",
            db.table("books")
        )
        .into();
        let second = Arc::clone(&log);
        bus.subscribe_async(move |e: &Envelope<BookLent>, conn| {
            let (log, sql) = (Arc::clone(&second), Arc::clone(&update));
            Box::pin(async move {
                // Writes in the use case's transaction, as a projection would.
                sqlx::query(&sql)
                    .bind(&e.data().book_id)
                    .execute(conn)
                    .await?;
                log.lock().unwrap().push("async write".into());
                Ok(())
            })
        });
        // Subscribed after it: sees what the handler before it wrote.
        let select: Arc<str> =
            format!("SELECT title FROM {} WHERE id = $1", db.table("books")).into();
        bus.translate_async::<BookLent, BookLentIntegrationEvent>(move |e, conn| {
            let sql = Arc::clone(&select);
            Box::pin(async move {
                let title: String = sqlx::query_scalar(&sql)
                    .bind(&e.data().book_id)
                    .fetch_one(conn)
                    .await?;
                Ok(BookLentIntegrationEventContext { title })
            })
        });
        let third = Arc::clone(&log);
        bus.subscribe(move |_: &Envelope<BookLent>| -> Result<(), BoxError> {
            third.lock().unwrap().push("sync again".into());
            Ok(())
        });
        add_and_lend(&db, &outbox, &bus, "b-1", "m-1", false, Ending::Commit)
            .await
            .unwrap();
        assert_eq!(*log.lock().unwrap(), ["sync", "async write", "sync again"]);
        assert_eq!(
            outbox_events(&db.pool, &db).await,
            [("b-1".to_owned(), "title of b-1 (lent)".to_owned())]
        );
    });
}
