//! `necid demo`: the main job in one command.
//!
//! Starts an embedded emulator on a free loopback port with a throwaway in-memory
//! database, then drives it through the real SDK client (signed requests over HTTP):
//! creates tags, registers sample faces, extracts, searches and verifies with other
//! photos, lists subjects, and prints what happened. The sample photos are public-domain
//! fixtures compiled into the binary (see `cli/assets/faces/README.md`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use necid::{Client, Config, FaceAttributes, SearchRequest, SortDirection};
use necid_server::{ServerConfig, Storage};

use crate::serve::EngineArg;

/// A sample photo compiled into the binary.
struct Sample {
    file: &'static str,
    bytes: &'static [u8],
}

const OBAMA: Sample = Sample {
    file: "obama.jpg",
    bytes: include_bytes!("../assets/faces/obama.jpg"),
};
const OBAMA2: Sample = Sample {
    file: "obama2.jpg",
    bytes: include_bytes!("../assets/faces/obama2.jpg"),
};
const OBAMA3: Sample = Sample {
    file: "obama3.jpg",
    bytes: include_bytes!("../assets/faces/obama3.jpg"),
};
const BIDEN: Sample = Sample {
    file: "biden.jpg",
    bytes: include_bytes!("../assets/faces/biden.jpg"),
};
const ASTRONAUT: Sample = Sample {
    file: "astronaut.png",
    bytes: include_bytes!("../assets/faces/astronaut.png"),
};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Face engine for the embedded emulator.
    #[arg(long, value_enum, default_value_t = EngineArg::default())]
    pub engine: EngineArg,
    /// Where to write the picture of the detected faces (default: necid-demo-faces.png
    /// in the temporary directory).
    #[arg(long, value_name = "PNG")]
    pub picture: Option<PathBuf>,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let server_config = ServerConfig {
        port: 0,
        storage: Storage::Memory,
        engine: args.engine.into(),
        ..ServerConfig::default()
    };
    let server = necid_server::start(server_config)
        .await
        .context("starting the embedded emulator")?;
    let picture = args
        .picture
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("necid-demo-faces.png"));
    let result = drive(&server, args.engine, &picture).await;
    server.shutdown().await;
    result
}

async fn drive(
    server: &necid_server::RunningServer,
    engine: EngineArg,
    picture: &Path,
) -> anyhow::Result<()> {
    let creds = server.credentials();
    let config = Config::builder()
        .endpoint(server.endpoint())
        .tenant_endpoint(server.endpoint())
        .access_key_id(creds.access_key_id.clone())
        .secret_access_key(creds.secret_access_key.clone())
        .api_key(creds.api_key.clone())
        .build()?;
    let client = Client::new(config)?;

    println!("necid demo");
    println!(
        "  emulator: {} (in memory, thrown away at exit)",
        server.endpoint()
    );
    println!("  face engine: {}", engine_description(engine));
    let health = client.health().await?;
    println!("  health: {}", health.status);

    step("1. create tags");
    for tag in ["staff", "visitor"] {
        client.create_tag(tag).await?;
    }
    let tags: Vec<String> = client
        .list_tags()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    println!("  tags in the gallery: {}", tags.join(", "));

    step("2. register subjects");
    let mut names: HashMap<String, &'static str> = HashMap::new();
    let mut obama_id = String::new();
    for (sample, tag) in [
        (&OBAMA, "staff"),
        (&BIDEN, "visitor"),
        (&ASTRONAUT, "visitor"),
    ] {
        let registered = client
            .register_subject(sample.bytes, &[tag.to_string()])
            .await
            .with_context(|| format!("registering {}", sample.file))?;
        println!(
            "  {:<14} -> subject {}  [{}]  {}",
            sample.file,
            registered.subject_id,
            tag,
            describe(registered.attributes.as_ref())
        );
        if sample.file == OBAMA.file {
            obama_id = registered.subject_id.clone();
        }
        names.insert(registered.subject_id, sample.file);
    }

    step("3. extract faces");
    let faces = client.extract_faces(ASTRONAUT.bytes, Some(5)).await?;
    println!("  {}: {} face(s)", ASTRONAUT.file, faces.len());
    for (i, face) in faces.iter().enumerate() {
        println!("    #{}: {}", i + 1, describe(Some(face)));
    }
    let marks: Vec<crate::annotate::Mark> = faces
        .iter()
        .enumerate()
        .map(|(i, f)| crate::annotate::Mark::numbered(i + 1, f, Vec::new()))
        .collect();
    // The picture is a bonus: failing to write it (say, a file of another user's in a
    // shared temp dir) is reported, not fatal.
    match crate::annotate::write(ASTRONAUT.bytes, &marks, picture) {
        Ok((w, h)) => println!(
            "  picture with the face boxes, eyes and scores drawn: {} ({w}x{h})",
            picture.display()
        ),
        Err(e) => println!(
            "  (could not write the picture to {}: {e}; try --picture PATH)",
            picture.display()
        ),
    }

    step("4. search (1:N, threshold 7000)");
    for probe in [&OBAMA2, &OBAMA3, &BIDEN] {
        let result = client
            .search(SearchRequest::new(probe.bytes).threshold(7000).limit(5))
            .await?;
        if result.candidates.is_empty() {
            println!(
                "  probe {:<14} -> no candidate above the threshold",
                probe.file
            );
        }
        for c in &result.candidates {
            let name = names.get(&c.subject_id).copied().unwrap_or("?");
            println!(
                "  probe {:<14} -> subject {} ({name})  score {}",
                probe.file, c.subject_id, c.score
            );
        }
    }
    let staff_only = client
        .search(SearchRequest::new(BIDEN.bytes).threshold(0).tags(["staff"]))
        .await?;
    println!(
        "  probe {:<14} with tags [staff], threshold 0 -> {} candidate(s): {}",
        BIDEN.file,
        staff_only.candidates.len(),
        staff_only
            .candidates
            .iter()
            .map(|c| names.get(&c.subject_id).copied().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    step("5. verify (1:1)");
    for probe in [&OBAMA2, &OBAMA3, &BIDEN] {
        let v = client.verify_subject(&obama_id, probe.bytes).await?;
        println!(
            "  {:<14} vs subject {} ({}) -> {}",
            probe.file,
            obama_id,
            OBAMA.file,
            verdict(v.verified, v.score)
        );
    }
    let ff = client.verify_faces(OBAMA.bytes, OBAMA.bytes).await?;
    println!(
        "  {} vs {} (face to face, same file) -> {}",
        OBAMA.file,
        OBAMA.file,
        verdict(ff.verified, ff.score)
    );
    let ff = client.verify_faces(OBAMA.bytes, BIDEN.bytes).await?;
    println!(
        "  {} vs {} (face to face) -> {}",
        OBAMA.file,
        BIDEN.file,
        verdict(ff.verified, ff.score)
    );

    step("6. list subjects");
    let page = client.list_subjects(0, 100, SortDirection::Asc).await?;
    println!("  {} event(s) in the gallery", page.total);
    for s in &page.subjects {
        let name = names.get(&s.subject_id).copied().unwrap_or("?");
        println!(
            "  subject {} event {}  status {}  ({name})",
            s.subject_id, s.event_id, s.status
        );
    }

    println!();
    println!("done. Run your own: `necid serve` starts a persistent emulator.");
    Ok(())
}

fn step(title: &str) {
    println!();
    println!("{title}");
}

fn engine_description(engine: EngineArg) -> &'static str {
    match engine {
        EngineArg::Real => {
            "real (offline face detection, landmarks and 128-d descriptors; scores are the \
             emulator's, not calibrated to the vendor's product)"
        }
        EngineArg::Deterministic => {
            "deterministic (whole-image content hash: only the same or a nearly identical \
             image matches; not a face matcher)"
        }
    }
}

fn verdict(verified: bool, score: Option<u32>) -> String {
    let score = score.map(|s| format!(" (score {s})")).unwrap_or_default();
    if verified {
        format!("verified{score}")
    } else {
        format!("not verified{score}")
    }
}

fn describe(attributes: Option<&FaceAttributes>) -> String {
    let Some(a) = attributes else {
        return "no attributes".to_string();
    };
    let mut parts = Vec::new();
    if let Some(r) = &a.face_area {
        parts.push(format!(
            "face {}x{} at ({}, {})",
            r.right - r.left,
            r.bottom - r.top,
            r.left,
            r.top
        ));
    }
    if let Some(q) = a.face_quality_score {
        parts.push(format!("quality {q:.2}"));
    }
    if let Some(roll) = a.face_roll {
        parts.push(format!("roll {roll:.1}°"));
    }
    parts.join(", ")
}
