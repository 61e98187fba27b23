//! Pod sandboxes on the Docker Engine: a container running a do-nothing `/pause` process that
//! holds a pod's network namespace, hostname and IPC namespace, which the pod's containers
//! join with `NetworkMode: container:<id>` (Kubernetes' pause container; dockershim did the
//! same on Docker).
//!
//! With no internet there is no `registry.k8s.io/pause` to pull, so dockjob makes its own
//! pause image: a tiny static ELF program written here byte by byte (`pause()` in a loop on
//! amd64, `ppoll` with no descriptors on arm64), imported as the only file of an image
//! (`POST /images/create?fromSrc=-`). `DOCKJOB_PAUSE_IMAGE` names another image to use
//! (for example a real `registry.k8s.io/pause`, whose entrypoint is also `/pause`); when that
//! image is missing too, the built-in program is imported under its name.

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use bytes::Bytes;

use super::{engine_error, DockerEngine, NotFound};
use crate::engine::{EngineError, PodRuntime, SandboxSpec, LABEL_MANAGED};

/// The pause image dockjob imports when `DOCKJOB_PAUSE_IMAGE` is unset.
pub const DEFAULT_PAUSE_IMAGE: &str = "dockjob-pause:1";
/// Environment variable naming the pause image.
pub const PAUSE_IMAGE_ENV: &str = "DOCKJOB_PAUSE_IMAGE";

/// The pause image's reference.
pub fn pause_image() -> String {
    std::env::var(PAUSE_IMAGE_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_PAUSE_IMAGE.to_string())
}

impl DockerEngine {
    /// Creates and starts the sandbox of a pod (see the module docs).
    pub(super) async fn run_sandbox(&self, spec: &SandboxSpec) -> Result<String, EngineError> {
        let image = pause_image();
        self.ensure_pause_image(&image).await?;
        for volume in &spec.data_volumes {
            self.ensure_data_volume(volume, &spec.labels).await?;
        }
        let mounts = super::data_volumes::sandbox_mounts(&spec.data_volumes);
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            entrypoint: Some(vec!["/pause".to_string()]),
            hostname: Some(spec.hostname.clone()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            host_config: Some(HostConfig {
                // The pod's containers join it (`IpcMode: container:<id>` needs `shareable`).
                ipc_mode: Some("shareable".to_string()),
                mounts: (!mounts.is_empty()).then_some(mounts),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let id = self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| engine_error(e, NotFound::Image(&image)))?
            .id;
        if let Err(e) = self.start_container(&id).await {
            // Not left behind: the kubelet's retry creates it again under the same name.
            let _ = self.remove_container(&id).await;
            return Err(e);
        }
        Ok(id)
    }

    async fn ensure_pause_image(&self, image: &str) -> Result<(), EngineError> {
        if self.inspect_image(image).await?.is_some() {
            return Ok(());
        }
        let version = self
            .docker
            .version()
            .await
            .map_err(|e| engine_error(e, NotFound::Other))?;
        let arch = version.arch.unwrap_or_default();
        let program = pause_program(&arch).ok_or_else(|| {
            EngineError::Daemon(format!(
                "pods with several containers need a pause image, and dockjob has no built-in pause program for the engine's architecture {arch:?} (amd64, arm64): set {PAUSE_IMAGE_ENV} to an image whose /pause runs forever"
            ))
        })?;
        let (repo, tag) = split_reference(image);
        let tar = Bytes::from(pause_tar(&program));
        let rootfs = futures_util::stream::once(async move { Ok::<_, std::io::Error>(tar) });
        let changes = [
            format!("LABEL {LABEL_MANAGED}=true"),
            r#"ENTRYPOINT ["/pause"]"#.to_string(),
        ];
        self.import_image(rootfs, repo, tag, &changes).await?;
        Ok(())
    }
}

/// `repo:tag` → (`repo`, `tag`); no tag means `latest`.
fn split_reference(image: &str) -> (&str, &str) {
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], &image[slash + i + 1..]),
        None => (image, "latest"),
    }
}

/// A root filesystem tar holding only `/pause` (mode 0755).
fn pause_tar(program: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(program.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_cksum();
    // Appending to a Vec cannot fail.
    let _ = builder.append_data(&mut header, "pause", program);
    builder.into_inner().unwrap_or_default()
}

/// Machine code that never returns and does nothing: `for (;;) pause();` on amd64
/// (`mov eax, 34; syscall; jmp start`), `for (;;) ppoll(NULL, 0, NULL, NULL, 0);` on arm64
/// (which has no `pause` syscall; `ppoll` is number 73 there).
fn pause_code(arch: &str) -> Option<(u16, Vec<u8>)> {
    match arch {
        "amd64" | "x86_64" => Some((0x3e, vec![0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7])),
        "arm64" | "aarch64" => {
            let words: [u32; 7] = [
                0xd280_0000, // mov x0, #0
                0xd280_0001, // mov x1, #0
                0xd280_0002, // mov x2, #0
                0xd280_0003, // mov x3, #0
                0xd280_0004, // mov x4, #0
                0xd280_0928, // mov x8, #73 (ppoll)
                0xd400_0001, // svc #0
            ];
            let mut code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            code.extend_from_slice(&0x17ff_fff9u32.to_le_bytes()); // b start (7 back)
            Some((0xb7, code))
        }
        _ => None,
    }
}

/// A static ELF64 executable (one `PT_LOAD` segment, no sections) running [`pause_code`].
pub fn pause_program(arch: &str) -> Option<Vec<u8>> {
    const BASE: u64 = 0x40_0000;
    const HEADERS: u64 = 64 + 56;
    let (machine, code) = pause_code(arch)?;
    let size = HEADERS + code.len() as u64;
    let mut elf = Vec::with_capacity(size as usize);
    // e_ident: magic, 64-bit, little-endian, version 1, System V ABI, padding.
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // e_type: ET_EXEC
    elf.extend_from_slice(&machine.to_le_bytes()); // e_machine
    elf.extend_from_slice(&1u32.to_le_bytes()); // e_version
    elf.extend_from_slice(&(BASE + HEADERS).to_le_bytes()); // e_entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    elf.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    elf.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    elf.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
    elf.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    elf.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    elf.extend_from_slice(&1u32.to_le_bytes()); // p_type: PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // p_flags: R + X
    elf.extend_from_slice(&0u64.to_le_bytes()); // p_offset: the whole file
    elf.extend_from_slice(&BASE.to_le_bytes()); // p_vaddr
    elf.extend_from_slice(&BASE.to_le_bytes()); // p_paddr
    elf.extend_from_slice(&size.to_le_bytes()); // p_filesz
    elf.extend_from_slice(&size.to_le_bytes()); // p_memsz
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    elf.extend_from_slice(&code);
    Some(elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_program_is_a_well_formed_elf_entering_right_after_its_headers() {
        for (arch, machine) in [("amd64", 0x3e), ("arm64", 0xb7)] {
            let elf = pause_program(arch).unwrap();
            assert_eq!(&elf[..4], b"\x7fELF");
            assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), machine);
            let entry = u64::from_le_bytes(elf[24..32].try_into().unwrap());
            assert_eq!(entry, 0x40_0000 + 120);
            let filesz = u64::from_le_bytes(elf[64 + 32..64 + 40].try_into().unwrap());
            assert_eq!(filesz, elf.len() as u64);
        }
        assert_eq!(pause_program("s390x"), None);
    }

    #[test]
    fn pause_references_split_into_repo_and_tag() {
        assert_eq!(split_reference("dockjob-pause:1"), ("dockjob-pause", "1"));
        assert_eq!(
            split_reference("localhost:5000/pause"),
            ("localhost:5000/pause", "latest")
        );
        assert_eq!(
            split_reference("registry.k8s.io/pause:3.9"),
            ("registry.k8s.io/pause", "3.9")
        );
    }

    #[test]
    fn the_tar_holds_only_an_executable_pause() {
        let tar = pause_tar(&[1, 2, 3]);
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let path = e.path().unwrap().display().to_string();
                (path, e.header().mode().unwrap(), e.size())
            })
            .collect();
        assert_eq!(entries, vec![("pause".to_string(), 0o755, 3)]);
    }
}
